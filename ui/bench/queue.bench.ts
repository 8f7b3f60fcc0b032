// How the queue view copes with 100,000 jobs, in happy-dom (DOM work and our own code; no layout
// or paint, which the virtualized list keeps to the ~25 rows on screen anyway). Prints figures:
//   npm --prefix ui run bench
import { it } from 'vitest';
import { QueueApp } from '../src/app';
import { makeJob, MockIpc } from '../src/ipc/mock';
import type { Job, JobState, ProgressSnapshot } from '../src/ipc/types';

const N = 100_000;
const RUNNING = 300;

function jobs(): Job[] {
  const states: JobState[] = ['queued', 'completed', 'failed', 'paused'];
  return Array.from({ length: N }, (_, i) =>
    makeJob({ id: i + 1, path: `/data/dir${i % 100}/file-${i + 1}.bin`, state: i < RUNNING ? 'running' : states[i % 4]!, bytes_total: 1_000_000 }),
  );
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

it('prints queue view figures for 100,000 jobs', async () => {
  document.body.innerHTML = '<div id="app"></div>';
  const root = document.getElementById('app')!;
  const ipc = new MockIpc(jobs());
  const t0 = performance.now();
  const app = new QueueApp(root, ipc, { reloadDelayMs: 1 });
  await app.start();
  const firstRender = performance.now() - t0;

  const batches: number[] = [];
  for (let round = 0; round < 20; round++) {
    const snapshot: ProgressSnapshot = {
      online: true,
      jobs: Array.from({ length: RUNNING }, (_, i) => ({ id: i + 1, bytes_done: round * 1000 + i, bytes_total: 1_000_000, bytes_per_sec: 500_000 })),
    };
    const t = performance.now();
    ipc.emit('hoist://progress', snapshot);
    batches.push(performance.now() - t);
  }

  // Lifecycle events one per message (the shell gathers those of 100 ms into one; this is the
  // worst case): each one re-renders.
  const lifecycle = (from: number): number[] => {
    const costs: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const id = from + i;
      const t = performance.now();
      ipc.emit('hoist://queue-changes', { added: [], states: [{ id, state: i % 2 === 0 ? 'running' : 'completed', error: null }], removed: [] });
      costs.push(performance.now() - t);
    }
    return costs;
  };
  const events = lifecycle(RUNNING + 1);

  const filter = root.querySelector<HTMLSelectElement>('select.filter')!;
  const tf = performance.now();
  filter.value = 'failed';
  filter.dispatchEvent(new Event('change'));
  const filterMs = performance.now() - tf;

  const filteredEvents = lifecycle(RUNNING + 5001);

  const list = root.querySelector<HTMLElement>('.jobs')!;
  const scrolls: number[] = [];
  for (let i = 1; i <= 20; i++) {
    const t = performance.now();
    list.scrollTop = i * 1200 * 64;
    list.dispatchEvent(new Event('scroll'));
    scrolls.push(performance.now() - t);
  }

  const nodes = root.querySelectorAll('*').length;
  const rows = root.querySelectorAll('.row').length;
  console.log(
    [
      `queue view, ${N.toLocaleString('en')} jobs (${RUNNING} running), happy-dom:`,
      `  load + first render: ${firstRender.toFixed(0)} ms`,
      `  progress batch of ${RUNNING} jobs: median ${median(batches).toFixed(2)} ms, max ${Math.max(...batches).toFixed(2)} ms`,
      `  job-state event: median ${median(events).toFixed(3)} ms, max ${Math.max(...events).toFixed(2)} ms (all shown); median ${median(filteredEvents).toFixed(3)} ms with a filter`,
      `  filter to one state: ${filterMs.toFixed(1)} ms`,
      `  scroll to a new window: median ${median(scrolls).toFixed(2)} ms`,
      `  DOM: ${rows} job rows, ${nodes} elements in all`,
    ].join('\n'),
  );
  app.dispose();
}, 120_000);
