// The IPC contract between the web UI and the Rust shell. Every command and event the UI uses is
// typed here; the Rust side is src-tauri/src/commands/ and src-tauri/src/events.rs. Field names
// are the serde names (snake_case), ids are SQLite rowids (safe as JS numbers).

export type JobId = number;

export const JOB_STATES = ['queued', 'running', 'paused', 'completed', 'failed', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];

/** One upload in the queue, as stored (hoist_core::model::Job). */
export interface Job {
  id: JobId;
  path: string;
  destination_id: string;
  destination_name: string;
  bucket: string;
  key: string;
  state: JobState;
  bytes_done: number;
  bytes_total: number;
  attempts: number;
  error_code: string | null;
  error_message: string | null;
  batch: string;
  created_at: number;
  updated_at: number;
  if_exists?: IfExists;
  /** How a completed job ended, as a code (hoist_core::model::Outcome). */
  outcome?: Outcome | null;
  /** What is worth telling about how it went, for people ("skipped: …", "renamed to …"). */
  note?: string | null;
}

export type IfExists = 'overwrite' | 'skip' | 'rename';

export type Outcome = 'uploaded' | 'skipped_identical' | 'skipped_existing' | 'renamed';

/** A destination's upload options (hoist_core::options::UploadOptions). */
export interface UploadOptions {
  key_template: string | null;
  detect_content_type: boolean;
  acl: string | null;
  storage_class: string | null;
  cache_control: string | null;
  if_exists: IfExists;
}

/** What `Test connection` found a server accepts (hoist_core::options::Capabilities). */
export interface Capabilities {
  tested_at: number;
  multipart: boolean;
  list_parts: boolean;
  list_multipart_uploads: boolean;
  content_md5: boolean;
  checksum_headers: boolean;
  presign: boolean;
  acl: boolean;
}

/** A destination (hoist_core::model::Destination). It never carries a secret. */
export interface Destination {
  id: string;
  name: string;
  kind: 's3' | 'local';
  endpoint: string | null;
  region: string;
  bucket: string;
  path_style: boolean;
  prefix: string;
  folder: string | null;
  builtin: boolean;
  provider: string | null;
  options: UploadOptions;
  capabilities: Capabilities | null;
}

/** The add form (src-tauri/src/commands/destinations.rs DestinationForm). Secrets go one way only. */
export interface DestinationForm {
  name: string;
  kind: 's3' | 'local';
  provider?: string | undefined;
  endpoint?: string | undefined;
  region?: string | undefined;
  account_id?: string | undefined;
  bucket?: string | undefined;
  path_style?: boolean | undefined;
  prefix?: string | undefined;
  access_key_id?: string | undefined;
  secret_access_key?: string | undefined;
}

/** The edit form: only what is set changes; a new key pair needs both halves. Fields left out
 * are kept as they are (an empty endpoint never means "AWS"). */
export interface DestinationEdit {
  rename?: string | undefined;
  endpoint?: string | undefined;
  region?: string | undefined;
  bucket?: string | undefined;
  path_style?: boolean | undefined;
  prefix?: string | undefined;
  /** Use the folder last chosen with chooseDestinationFolder. */
  folder_picked?: boolean | undefined;
  access_key_id?: string | undefined;
  secret_access_key?: string | undefined;
}

export interface Preset {
  id: string;
}

export interface ConnectionStep {
  name: string;
  outcome: 'ok' | 'failed' | 'skipped';
  detail: string;
  blocking: boolean;
  error: string | null;
}

export interface ConnectionReport {
  destination: string;
  steps: ConnectionStep[];
  capabilities: Capabilities | null;
}

/** Everything the Settings view sets (src-tauri/src/commands/settings.rs). */
export interface Settings {
  concurrency: number;
  /** Bytes per second, or null for none. */
  bandwidth_limit: number | null;
  notifications: boolean;
  close_to_tray: boolean;
  start_minimized: boolean;
  /** Follow symbolic links inside added folders. */
  follow_links: boolean;
  part_size: number;
}

/** What a remove did (hoist_core::Removal). */
export interface Removal {
  removed: JobId[];
  /** Cancelled instead: their multipart upload is aborted first. */
  cancelled: JobId[];
}

/** Byte progress of one running job (hoist_core::JobProgress). */
export interface JobProgress {
  id: JobId;
  bytes_done: number;
  bytes_total: number;
  bytes_per_sec: number;
  /** When a failed request will be tried again (ms since the epoch), while it waits. */
  retry_at?: number | null;
}

/** All running jobs' progress at one instant (hoist_core::ProgressSnapshot). */
export interface ProgressSnapshot {
  jobs: JobProgress[];
  /** False while jobs wait for the network. */
  online: boolean;
}

export interface Skipped {
  path: string;
  reason: string;
}

/** What an enqueue did (hoist_core::EnqueueReport). */
export interface EnqueueReport {
  batch: string;
  jobs: JobId[];
  /** Total size of the added files. */
  bytes: number;
  skipped: Skipped[];
}

/** Every failed command rejects with this (src-tauri/src/error.rs). */
export interface UiError {
  code: string;
  message: string;
}

/** Whether this window's process drives the upload queue. */
export type EngineStatus =
  | { state: 'driving' }
  | { state: 'elsewhere' }
  | { state: 'stopped'; message: string };

export interface JobsAddedEvent {
  ids: JobId[];
}

export interface JobStateEvent {
  id: JobId;
  state: JobState;
  error: string | null;
}

export interface NetworkEvent {
  online: boolean;
}

export interface DropHoverEvent {
  active: boolean;
}

/** Event name -> payload, as emitted by src-tauri/src/events.rs. */
export interface EventMap {
  'hoist://jobs-added': JobsAddedEvent;
  'hoist://job-state': JobStateEvent;
  'hoist://network': NetworkEvent;
  'hoist://progress': ProgressSnapshot;
  /** The core's event stream lagged: reload everything. */
  'hoist://resync': null;
  'hoist://engine': EngineStatus;
  /** Files dropped on the window were enqueued. */
  'hoist://enqueued': EnqueueReport;
  /** Something failed outside a command (a drop, the engine). */
  'hoist://error': UiError;
  'hoist://drop-hover': DropHoverEvent;
}

export type EventName = keyof EventMap;

export type Unlisten = () => void;

/** The commands and events the UI uses; implemented by ipc/tauri.ts and ipc/mock.ts. */
export interface Ipc {
  listJobs(): Promise<Job[]>;
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
  getSettings(): Promise<Settings>;
  setSettings(settings: Settings): Promise<Settings>;
  engineStatus(): Promise<EngineStatus>;
  listen<K extends EventName>(event: K, handler: (payload: EventMap[K]) => void): Promise<Unlisten>;
}

export function isUiError(value: unknown): value is UiError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as UiError).code === 'string' &&
    typeof (value as UiError).message === 'string'
  );
}

/** Whatever a command rejected with, as a UiError (the shell always sends one; JS bugs do not). */
export function toUiError(value: unknown): UiError {
  if (isUiError(value)) return { code: value.code, message: value.message };
  if (value instanceof Error) return { code: 'internal', message: value.message };
  return { code: 'internal', message: String(value) };
}
