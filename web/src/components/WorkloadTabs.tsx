// Model, spot check and batch: three tabs under the analyzer; each adds its points to the same chart.
import { useMemo, useState } from 'react';
import type { HardwareEntry } from '../lib/hardware';
import type { Point } from '../lib/types';
import { WorkloadClient } from '../lib/workloads';
import { BatchPanel } from './BatchPanel';
import { ModelView } from './ModelView';
import { SpotCheck } from './SpotCheck';

interface Props {
  online: boolean;
  hardware: HardwareEntry;
  onPoints(points: Point[], runId: number | null): void;
  onStored(): void;
}

type Tab = 'model' | 'spot' | 'batch';

export function WorkloadTabs({ online, hardware, onPoints, onStored }: Props) {
  const client = useMemo(() => new WorkloadClient('.'), []);
  const [tab, setTab] = useState<Tab>('model');
  const tabs: [Tab, string][] = [
    ['model', 'Model'],
    ['spot', 'Spot check'],
    ['batch', 'Batch'],
  ];
  return (
    <section className="workload-tabs" aria-label="Models, spot checks and batches">
      <div role="tablist">
        {tabs.map(([id, label]) => (
          <button key={id} type="button" role="tab" aria-selected={tab === id} data-testid={`tab-${id}`} onClick={() => setTab(id)}>
            {label}
          </button>
        ))}
      </div>
      {tab === 'model' && <ModelView client={client} online={online} hardware={hardware} onPoints={(p) => onPoints(p, null)} />}
      {tab === 'spot' && <SpotCheck client={client} online={online} hardware={hardware} onPoints={(p) => onPoints(p, null)} />}
      {tab === 'batch' && <BatchPanel client={client} online={online} hardware={hardware} onPoints={onPoints} onStored={onStored} />}
    </section>
  );
}
