// The real IPC: Tauri commands (src-tauri/src/commands/) and events (src-tauri/src/events.rs).
import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import type { EngineStatus, EnqueueReport, EventMap, EventName, Ipc, Job, JobId, Unlisten } from './types';
import { toUiError } from './types';

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    throw toUiError(e);
  }
}

export const tauriIpc: Ipc = {
  listJobs: () => call<Job[]>('list_jobs'),
  pauseJobs: (ids) => call<JobId[]>('pause_jobs', { ids }),
  resumeJobs: (ids) => call<JobId[]>('resume_jobs', { ids }),
  cancelJobs: (ids) => call<JobId[]>('cancel_jobs', { ids }),
  retryJobs: (ids) => call<JobId[]>('retry_jobs', { ids }),
  addPaths: (paths, profile) => call<EnqueueReport>('add_paths', { paths, profile: profile ?? null }),
  engineStatus: () => call<EngineStatus>('engine_status'),
  listen<K extends EventName>(event: K, handler: (payload: EventMap[K]) => void): Promise<Unlisten> {
    return listen<EventMap[K]>(event, (e) => handler(e.payload));
  },
};
