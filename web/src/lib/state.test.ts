import { describe, expect, it } from 'vitest';
import { makeProblem, predictPoint } from './model';
import { registry } from './registry';
import {
  STORAGE_KEY,
  formPrecisions,
  initialState,
  loadState,
  makePlotPoint,
  reducer,
  saveState,
  type StorageLike,
} from './state';
import type { Point } from './types';

const memory = (): StorageLike & { data: Map<string, string> } => {
  const data = new Map<string, string>();
  return {
    data,
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => void data.set(k, v),
    removeItem: (k) => void data.delete(k),
  };
};

const h100 = registry.at('h100-sxm');
const predicted = (m: number, p: 'FP16' | 'INT8' = 'FP16') => predictPoint(h100, makeProblem(m, 4096, 4096, p));
const measured = (m: number): Point => ({ ...predicted(m), source: 'measured', label: `${m}x4096x4096 [FP16] (measured)` });

describe('reducer', () => {
  it('keeps shape A when shape B is added, and replaces a repeated prediction', () => {
    let s = initialState();
    s = reducer(s, { type: 'addPoints', points: [makePlotPoint(predicted(4096), 'server', 1)] });
    s = reducer(s, { type: 'addPoints', points: [makePlotPoint(predicted(1024), 'server', 2)] });
    expect(s.points.map((p) => p.point.M)).toEqual([4096, 1024]);
    s = reducer(s, { type: 'addPoints', points: [makePlotPoint(predicted(4096), 'local', null)] });
    expect(s.points).toHaveLength(2);
    expect(s.points[0]?.origin).toBe('local');
  });

  it('keeps every measured run as its own point', () => {
    let s = initialState();
    s = reducer(s, { type: 'addPoints', points: [makePlotPoint(measured(4096), 'server', 1)] });
    s = reducer(s, { type: 'addPoints', points: [makePlotPoint(measured(4096), 'server', 2)] });
    expect(s.points).toHaveLength(2);
  });

  it('replaces the provisional points of a stream by the stored run', () => {
    let s = initialState();
    const provisional = makePlotPoint(measured(4096), 'server', null, 5);
    s = reducer(s, { type: 'addPoints', points: [provisional] });
    s = reducer(s, { type: 'addPoints', points: [makePlotPoint(measured(4096), 'server', 9)], replace: [provisional.id] });
    expect(s.points.map((p) => p.runId)).toEqual([9]);
  });

  it('clears measured points only, or everything', () => {
    let s = initialState();
    s = reducer(s, {
      type: 'addPoints',
      points: [makePlotPoint(measured(4096), 'server', 1), makePlotPoint(predicted(4096), 'server', 1)],
    });
    s = reducer(s, { type: 'clearMeasured' });
    expect(s.points.map((p) => p.point.source)).toEqual(['predicted']);
    s = reducer(s, { type: 'clearAll' });
    expect(s.points).toEqual([]);
  });

  it('toggles precisions in the legend', () => {
    let s = reducer(initialState(), { type: 'toggleHidden', precision: 'INT8' });
    expect(s.hidden).toEqual(['INT8']);
    s = reducer(s, { type: 'toggleHidden', precision: 'INT8' });
    expect(s.hidden).toEqual([]);
  });

  it('runs the seed sweep when Run all is ticked', () => {
    const s = reducer(initialState(), { type: 'setForm', patch: { runAll: true } });
    expect(formPrecisions(s.form)).toEqual(['FP16', 'FP8_E4M3', 'NVFP4', 'INT8', 'INT4']);
  });
});

describe('persistence', () => {
  it('survives a reload', () => {
    const storage = memory();
    let s = initialState();
    s = reducer(s, { type: 'addPoints', points: [makePlotPoint(predicted(4096, 'INT8'), 'server', 7)] });
    s = reducer(s, { type: 'setForm', patch: { m: '1', runAll: true, hardware: 'h100-sxm' } });
    s = reducer(s, { type: 'toggleHidden', precision: 'FP16' });
    s = reducer(s, { type: 'setCompare', key: 'h200' });
    saveState(storage, s);
    const back = loadState(storage);
    expect(back.points).toEqual(s.points);
    expect(back.form).toEqual(s.form);
    expect(back.hidden).toEqual(['FP16']);
    expect(back.compareKey).toBe('h200');
  });

  it('falls back to defaults on garbage, another version or bad pieces', () => {
    const storage = memory();
    storage.setItem(STORAGE_KEY, '{not json');
    expect(loadState(storage)).toEqual(initialState());
    storage.setItem(STORAGE_KEY, JSON.stringify({ version: 999, points: [] }));
    expect(loadState(storage)).toEqual(initialState());
    const good = makePlotPoint(predicted(64), 'server', 1);
    storage.setItem(
      STORAGE_KEY,
      JSON.stringify({
        version: 1,
        points: [good, { id: 'x', point: { ai: 'NaN' } }, null],
        form: { m: 12, precisions: ['FP16', 'FP99'], mode: 'lukewarm' },
      }),
    );
    const s = loadState(storage);
    expect(s.points).toEqual([good]);
    expect(s.form.m).toBe('4096'); // a number where a string belongs is ignored
    expect(s.form.precisions).toEqual(['FP16']);
    expect(s.form.mode).toBe('cold');
  });

  it('does not throw when storage is full', () => {
    const storage: StorageLike = {
      getItem: () => null,
      setItem: () => {
        throw new DOMException('full', 'QuotaExceededError');
      },
      removeItem: () => undefined,
    };
    expect(() => saveState(storage, initialState())).not.toThrow();
  });
});
