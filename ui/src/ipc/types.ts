// The IPC contract between the web UI and the Rust shell. The data types are generated from the
// Rust types (./generated.ts, by src-tauri/src/ipc_types.rs), so the two sides cannot drift,
// and so are the events and their payloads (EventMap) and the state machine's moves; this file
// adds the command list and helpers. Field names are the serde names (snake_case), ids are SQLite rowids (safe as JS
// numbers).

import type {
  AwsImport,
  ConnectionReport,
  Destination,
  DestinationEdit,
  DestinationForm,
  DownloadReport,
  DeleteReport,
  EngineStatus,
  EnqueueReport,
  EventMap,
  Job,
  JobId,
  JobState,
  Listing,
  ObjectDetails,
  Place,
  PresetView,
  ProgressSnapshot,
  Removal,
  Settings,
  UiError,
  Watch,
  WatchEdit,
  WatchForm,
  WatchId,
} from './generated';

export type * from './generated';
export { JOB_MOVES } from './generated';
/** An action the user takes on a job, moving its state (the core's table, generated). */
export type JobMove = keyof typeof import('./generated').JOB_MOVES;

export const JOB_STATES = ['queued', 'running', 'paused', 'completed', 'failed', 'cancelled'] as const;
// Fails to compile when the Rust enum gains or loses a state this list does not have.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const statesComplete: Same<(typeof JOB_STATES)[number], JobState> = true;
void statesComplete;

/** A provider preset the add form offers. */
export type Preset = PresetView;

export type EventName = keyof EventMap;

export type Unlisten = () => void;

/** The commands and events the UI uses; implemented by ipc/tauri.ts and ipc/mock.ts. */
export interface Ipc {
  listJobs(): Promise<Job[]>;
  /** The jobs with these ids still in the queue, in queue order. */
  jobsById(ids: JobId[]): Promise<Job[]>;
  /** Each returns the ids that actually changed state. */
  pauseJobs(ids: JobId[]): Promise<JobId[]>;
  resumeJobs(ids: JobId[]): Promise<JobId[]>;
  cancelJobs(ids: JobId[]): Promise<JobId[]>;
  retryJobs(ids: JobId[]): Promise<JobId[]>;
  removeJobs(ids: JobId[]): Promise<Removal>;
  clearFinished(): Promise<JobId[]>;
  pauseAll(): Promise<JobId[]>;
  resumeAll(): Promise<JobId[]>;
  /** Where files dropped on the window go (the toolbar's destination and prefix). */
  setDropTarget(destination?: string, prefix?: string): Promise<void>;
  /** The system's file (or folder) picker, whose choice Rust queues for the destination and
   * prefix given; null when cancelled. The web view never sends a path. */
  addFromPicker(folders: boolean, destination?: string, prefix?: string): Promise<EnqueueReport | null>;
  /** The system's folder picker for a folder destination; the chosen folder to show, or null.
   * Rust keeps it for the next addDestination (kind local) or editDestination with folder_picked. */
  chooseDestinationFolder(): Promise<string | null>;
  /** Puts text on the system clipboard (through Rust's clipboard plugin). */
  copyText(text: string): Promise<void>;
  listDestinations(): Promise<Destination[]>;
  listPresets(): Promise<Preset[]>;
  addDestination(form: DestinationForm): Promise<Destination>;
  editDestination(name: string, edit: DestinationEdit): Promise<Destination>;
  removeDestination(name: string): Promise<void>;
  testDestination(name: string): Promise<ConnectionReport>;
  /** The AWS CLI's profiles here, as each would be imported (no secrets). */
  listAwsProfiles(): Promise<AwsImport[]>;
  /** Imports an AWS profile as the destination `name` ('' for the default name). */
  importAwsProfile(awsProfile: string, name: string, bucket: string): Promise<Destination>;
  getSettings(): Promise<Settings>;
  setSettings(settings: Settings): Promise<Settings>;
  engineStatus(): Promise<EngineStatus>;
  /** What `hoist://progress` carries, now: asked once at start, since that event comes only
   * while jobs run. */
  progressSnapshot(): Promise<ProgressSnapshot>;
  /** One page (at most `limit` entries) under the folder `prefix` ('' or ending in '/'). */
  listObjects(place: Place, prefix: string, recursive: boolean, page: string | null, limit: number): Promise<Listing>;
  objectDetails(place: Place, key: string): Promise<ObjectDetails>;
  /** Deletes objects, and each folder key (ending in '/') with everything under it. */
  deleteObjects(place: Place, keys: string[]): Promise<DeleteReport>;
  /** A link anyone can download the object from for `expiresSecs` (at most 7 days). */
  shareLink(place: Place, key: string, expiresSecs: number): Promise<string>;
  /** Asks for a folder in the system's picker (starting in Downloads) and queues the objects,
   * and each folder key with everything under it, for download there; null when cancelled. */
  downloadObjects(place: Place, keys: string[]): Promise<DownloadReport | null>;
  /** Shows a finished download in the file manager. */
  showInFolder(id: JobId): Promise<void>;
  /** Whether Hoist starts (minimized) when the user logs in; set it, getting what is true now. */
  getAutostart(): Promise<boolean>;
  setAutostart(enabled: boolean): Promise<boolean>;
  /** The view the window showed last, to open on it again (null the first time). */
  windowView(): Promise<string | null>;
  setWindowView(view: string): Promise<void>;
  listWatches(): Promise<Watch[]>;
  /** The ignore rules a new watch starts with. */
  defaultIgnores(): Promise<string[]>;
  /** Asks for a folder in the system's picker and watches it as the form says; null when
   * cancelled. The web view never sends the folder. */
  addWatch(form: WatchForm): Promise<Watch | null>;
  pauseWatch(id: WatchId): Promise<void>;
  resumeWatch(id: WatchId): Promise<void>;
  /** Stops watching; uploaded objects stay. */
  removeWatch(id: WatchId): Promise<void>;
  /** Replaces the watch's ignore rules (globs); returns the watch as saved. */
  setWatchIgnore(id: WatchId, ignore: string[]): Promise<Watch>;
  /** Changes where a watch uploads and how (every setting but its folder and ignore rules). */
  editWatch(id: WatchId, edit: WatchEdit): Promise<Watch>;
  listen<K extends EventName>(event: K, handler: (payload: EventMap[K]) => void): Promise<Unlisten>;
}

export function isUiError(value: unknown): value is UiError {
  return typeof value === 'object' && value !== null && typeof (value as UiError).code === 'string' && typeof (value as UiError).message === 'string';
}

/** Whatever a command rejected with, as a UiError (the shell always sends one; JS bugs do not). */
export function toUiError(value: unknown): UiError {
  if (isUiError(value)) return value.hint ? { code: value.code, message: value.message, hint: value.hint } : { code: value.code, message: value.message };
  if (value instanceof Error) return { code: 'internal', message: value.message };
  return { code: 'internal', message: String(value) };
}

/** An error as the window says it: the message, then what to do about it when the core said. */
export function errorText(value: unknown): string {
  const error = toUiError(value);
  return error.hint ? `${error.message.replace(/[.\s]+$/, '')}. ${error.hint}` : error.message;
}
