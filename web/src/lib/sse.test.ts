import { describe, expect, it } from 'vitest';
import { SseParser, type SseEvent } from './sse';

const parse = (chunks: string[]) => {
  const out: SseEvent[] = [];
  const p = new SseParser((e) => out.push(e));
  chunks.forEach((c) => p.push(c));
  p.end();
  return out;
};

describe('SseParser', () => {
  it('parses named events with JSON data', () => {
    const out = parse(['event: started\ndata: {"precision":"FP16","index":0,"total":5}\n\n']);
    expect(out).toEqual([{ event: 'started', data: '{"precision":"FP16","index":0,"total":5}' }]);
  });

  it('reassembles events split anywhere across chunks, CRLF included', () => {
    const text = 'event: queued\r\ndata: {"position": 0}\r\n\r\nevent: point\r\ndata: {"a":1}\r\n\r\n';
    for (let cut = 1; cut < text.length; cut++) {
      const out = parse([text.slice(0, cut), text.slice(cut)]);
      expect(out.map((e) => e.event)).toEqual(['queued', 'point']);
      expect(out[1]?.data).toBe('{"a":1}');
    }
  });

  it('joins multi-line data, ignores comments and defaults the type to message', () => {
    const out = parse([': keep-alive\n\ndata: one\ndata: two\n\n']);
    expect(out).toEqual([{ event: 'message', data: 'one\ntwo' }]);
  });

  it('drops an event the stream cut off before its blank line', () => {
    expect(parse(['event: done\ndata: {"x"'])).toEqual([]);
  });
});
