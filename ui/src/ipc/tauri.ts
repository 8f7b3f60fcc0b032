// The real IPC: Tauri commands (src-tauri/src/commands/) and events (src-tauri/src/events.rs).
import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import type { Commands, EventMap, EventName, Ipc, Unlisten } from './types';
import { toUiError } from './types';

type Args<K extends keyof Commands> = Commands[K]['args'];

/** Calls a command through the generated table: its name, arguments and result are the Rust
 * command's (src-tauri/src/ipc_commands.rs), so a change there fails the type check here. */
async function call<K extends keyof Commands>(command: K, ...args: Record<string, never> extends Args<K> ? [] : [Args<K>]): Promise<Commands[K]['result']> {
  try {
    return await invoke<Commands[K]['result']>(command, args[0]);
  } catch (e) {
    throw toUiError(e);
  }
}

export const tauriIpc: Ipc = {
  listJobs: () => call('list_jobs'),
  jobsById: (ids) => call('jobs_by_id', { ids }),
  pauseJobs: (ids) => call('pause_jobs', { ids }),
  resumeJobs: (ids) => call('resume_jobs', { ids }),
  cancelJobs: (ids) => call('cancel_jobs', { ids }),
  retryJobs: (ids) => call('retry_jobs', { ids }),
  removeJobs: (ids) => call('remove_jobs', { ids }),
  clearFinished: () => call('clear_finished'),
  pauseAll: () => call('pause_all'),
  resumeAll: () => call('resume_all'),
  setDropTarget: (destination, prefix) => call('set_drop_target', { destination: destination ?? null, prefix: prefix ?? null }),
  addFromPicker: (folders, destination, prefix) => call('add_from_picker', { folders, destination: destination ?? null, prefix: prefix ?? null }),
  chooseDestinationFolder: () => call('choose_destination_folder'),
  copyText: (text) => call('copy_text', { text }),
  listDestinations: () => call('list_destinations'),
  listPresets: () => call('list_presets'),
  addDestination: (form) => call('add_destination', { form }),
  editDestination: (name, edit) => call('edit_destination', { name, edit }),
  removeDestination: (name) => call('remove_destination', { name }),
  testDestination: (name) => call('test_destination', { name }),
  listAwsProfiles: () => call('list_aws_profiles'),
  importAwsProfile: (awsProfile, name, bucket) => call('import_aws_profile', { awsProfile, name, bucket }),
  getSettings: () => call('get_settings'),
  setSettings: (settings) => call('set_settings', { settings }),
  engineStatus: () => call('engine_status'),
  progressSnapshot: () => call('progress_snapshot'),
  listObjects: (place, prefix, recursive, page, limit) => call('list_objects', { place, prefix, recursive, page, limit }),
  objectDetails: (place, key) => call('object_details', { place, key }),
  deleteObjects: (place, keys) => call('delete_objects', { place, keys }),
  shareLink: (place, key, expiresSecs) => call('share_link', { place, key, expiresSecs }),
  downloadObjects: (place, keys) => call('download_objects', { place, keys }),
  showInFolder: (id) => call('show_in_folder', { id }),
  getAutostart: () => call('get_autostart'),
  setAutostart: (enabled) => call('set_autostart', { enabled }),
  windowView: () => call('get_window_view'),
  setWindowView: (view) => call('set_window_view', { view }),
  listWatches: () => call('list_watches'),
  defaultIgnores: () => call('default_ignores'),
  addWatch: (form) => call('add_watch', { form }),
  pauseWatch: (id) => call('pause_watch', { id }),
  resumeWatch: (id) => call('resume_watch', { id }),
  removeWatch: (id) => call('remove_watch', { id }),
  setWatchIgnore: (id, ignore) => call('set_watch_ignore', { id, ignore }),
  editWatch: (id, edit) => call('edit_watch', { id, edit }),
  listen<K extends EventName>(event: K, handler: (payload: EventMap[K]) => void): Promise<Unlisten> {
    return listen<EventMap[K]>(event, (e) => handler(e.payload));
  },
};
