// Entry point: mounts the queue window on #app with the real IPC, or with the in-memory one when
// the page is opened in a plain browser (`npm run dev` without Tauri), so the UI can be worked on
// by itself.
import './styles/tokens.css';
import './styles/base.css';
import './styles/queue.css';
import './styles/forms.css';
import './styles/browse.css';
import './styles/watches.css';
import { QueueApp } from './app';
import type { Ipc } from './ipc/types';

async function ipc(): Promise<Ipc> {
  if ('__TAURI_INTERNALS__' in window) return (await import('./ipc/tauri')).tauriIpc;
  const { MockIpc, makeJob } = await import('./ipc/mock');
  return new MockIpc([
    makeJob({ path: '/home/me/photos/beach.jpg', key: 'photos/beach.jpg', state: 'completed', bytes_done: 2_400_000, bytes_total: 2_400_000 }),
    makeJob({ path: '/home/me/video/talk.mp4', key: 'video/talk.mp4', state: 'running', bytes_done: 310_000_000, bytes_total: 820_000_000 }),
    makeJob({
      path: '/home/me/backup.tar',
      key: 'backup.tar',
      state: 'failed',
      error_code: 'access_denied',
      error_message: 'Access denied to bucket "bucket"',
    }),
  ]);
}

async function main(): Promise<void> {
  const root = document.getElementById('app');
  if (!root) return;
  const app = new QueueApp(root, await ipc());
  await app.start();
}

void main();
