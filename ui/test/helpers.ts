// Shared by the window's tests: mounting the app on the in-memory IPC, and letting promises run.
import { QueueApp } from '../src/app';
import { MockIpc } from '../src/ipc/mock';
import type { Job } from '../src/ipc/types';

/** A started app on `root` with `jobs`; `setup` adjusts the mock before the app loads. */
export async function mountApp(root: HTMLElement, jobs: Job[], setup?: (ipc: MockIpc) => void): Promise<{ app: QueueApp; ipc: MockIpc }> {
  const ipc = new MockIpc(jobs);
  setup?.(ipc);
  const app = new QueueApp(root, ipc, { reloadDelayMs: 1, pollMs: 10, noticeMs: 50, watchesDelayMs: 1 });
  await app.start();
  return { app, ipc };
}

/** Lets pending promises and short timers run. */
export const settle = () => new Promise((resolve) => setTimeout(resolve, 5));
