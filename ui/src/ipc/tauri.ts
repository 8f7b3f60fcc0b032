// The real IPC: Tauri commands (src-tauri/src/commands/) and events (src-tauri/src/events.rs).
import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import type {
  DownloadReport,
  EngineStatus,
  EnqueueReport,
  EventMap,
  EventName,
  Ipc,
  Job,
  JobId,
  Preset,
  ConnectionReport,
  DeleteReport,
  Listing,
  ObjectDetails,
  Destination,
  Removal,
  Settings,
  Unlisten,
  Watch,
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
  jobsById: (ids) => call<Job[]>('jobs_by_id', { ids }),
  pauseJobs: (ids) => call<JobId[]>('pause_jobs', { ids }),
  resumeJobs: (ids) => call<JobId[]>('resume_jobs', { ids }),
  cancelJobs: (ids) => call<JobId[]>('cancel_jobs', { ids }),
  retryJobs: (ids) => call<JobId[]>('retry_jobs', { ids }),
  removeJobs: (ids) => call<Removal>('remove_jobs', { ids }),
  clearFinished: () => call<JobId[]>('clear_finished'),
  pauseAll: () => call<JobId[]>('pause_all'),
  resumeAll: () => call<JobId[]>('resume_all'),
  setDropTarget: (destination, prefix) =>
    call<void>('set_drop_target', { destination: destination ?? null, prefix: prefix ?? null }),
  addFromPicker: (folders, destination, prefix) =>
    call<EnqueueReport | null>('add_from_picker', { folders, destination: destination ?? null, prefix: prefix ?? null }),
  chooseDestinationFolder: () => call<string | null>('choose_destination_folder'),
  copyText: (text) => call<void>('copy_text', { text }),
  listDestinations: () => call<Destination[]>('list_destinations'),
  listPresets: () => call<Preset[]>('list_presets'),
  addDestination: (form) => call<Destination>('add_destination', { form }),
  editDestination: (name, edit) => call<Destination>('edit_destination', { name, edit }),
  removeDestination: (name) => call<void>('remove_destination', { name }),
  testDestination: (name) => call<ConnectionReport>('test_destination', { name }),
  getSettings: () => call<Settings>('get_settings'),
  setSettings: (settings) => call<Settings>('set_settings', { settings }),
  engineStatus: () => call<EngineStatus>('engine_status'),
  listObjects: (place, prefix, recursive, page, limit) =>
    call<Listing>('list_objects', { place, prefix, recursive, page, limit }),
  objectDetails: (place, key) => call<ObjectDetails>('object_details', { place, key }),
  deleteObjects: (place, keys) => call<DeleteReport>('delete_objects', { place, keys }),
  shareLink: (place, key, expiresSecs) => call<string>('share_link', { place, key, expiresSecs }),
  downloadObjects: (place, keys) => call<DownloadReport | null>('download_objects', { place, keys }),
  showInFolder: (id) => call<void>('show_in_folder', { id }),
  getAutostart: () => call<boolean>('get_autostart'),
  setAutostart: (enabled) => call<boolean>('set_autostart', { enabled }),
  listWatches: () => call<Watch[]>('list_watches'),
  defaultIgnores: () => call<string[]>('default_ignores'),
  addWatch: (form) => call<Watch | null>('add_watch', { form }),
  pauseWatch: (id) => call<void>('pause_watch', { id }),
  resumeWatch: (id) => call<void>('resume_watch', { id }),
  removeWatch: (id) => call<void>('remove_watch', { id }),
  setWatchIgnore: (id, ignore) => call<Watch>('set_watch_ignore', { id, ignore }),
  listen<K extends EventName>(event: K, handler: (payload: EventMap[K]) => void): Promise<Unlisten> {
    return listen<EventMap[K]>(event, (e) => handler(e.payload));
  },
};
