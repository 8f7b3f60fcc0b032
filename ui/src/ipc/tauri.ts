// The real IPC: Tauri commands (src-tauri/src/commands/) and events (src-tauri/src/events.rs).
import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import type {
  EngineStatus,
  EnqueueReport,
  EventMap,
  EventName,
  Ipc,
  Job,
  JobId,
  Preset,
  ProbeReport,
  Profile,
  Removal,
  Settings,
  Unlisten,
} from './types';
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
  removeJobs: (ids) => call<Removal>('remove_jobs', { ids }),
  clearFinished: () => call<JobId[]>('clear_finished'),
  pauseAll: () => call<JobId[]>('pause_all'),
  resumeAll: () => call<JobId[]>('resume_all'),
  setDropTarget: (profile, prefix) =>
    call<void>('set_drop_target', { profile: profile ?? null, prefix: prefix ?? null }),
  addFromPicker: (folders, profile, prefix) =>
    call<EnqueueReport | null>('add_from_picker', { folders, profile: profile ?? null, prefix: prefix ?? null }),
  chooseDestinationFolder: () => call<string | null>('choose_destination_folder'),
  copyText: (text) => call<void>('copy_text', { text }),
  listProfiles: () => call<Profile[]>('list_profiles'),
  listPresets: () => call<Preset[]>('list_presets'),
  addProfile: (form) => call<Profile>('add_profile', { form }),
  editProfile: (name, edit) => call<Profile>('edit_profile', { name, edit }),
  removeProfile: (name) => call<void>('remove_profile', { name }),
  testProfile: (name) => call<ProbeReport>('test_profile', { name }),
  getSettings: () => call<Settings>('get_settings'),
  setSettings: (settings) => call<Settings>('set_settings', { settings }),
  engineStatus: () => call<EngineStatus>('engine_status'),
  listen<K extends EventName>(event: K, handler: (payload: EventMap[K]) => void): Promise<Unlisten> {
    return listen<EventMap[K]>(event, (e) => handler(e.payload));
  },
};
