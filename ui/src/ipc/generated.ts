// Generated from the Rust types by src-tauri/src/ipc_types.rs: do not edit.
// HOIST_WRITE_IPC_TYPES=1 cargo test -p hoist ipc_types writes it again.

/**
 * A queue row's id (SQLite rowid). A newtype serializes as its number (and the id below as
 * its string), as `#[serde(transparent)]` would say.
 */

export type JobId = number;

export type WatchId = number;

/**
 * Which way a job moves bytes: a local file to an object, or an object to a local file.
 */

export type Direction = "upload" | "download";

/**
 * The states of a queue row. Transitions are decided by [`transition::transition`].
 */

export type JobState = "queued" | "running" | "paused" | "completed" | "failed" | "cancelled";

/**
 * How a completed job ended. Programs match on this, never on the job's note.
 */

export type Outcome = "uploaded" | "downloaded" | "skipped_identical" | "skipped_existing" | "renamed";

/**
 * What an upload does when its key already holds an object.
 */

export type IfExists = "overwrite" | "skip" | "rename";

/**
 * One transfer in the queue, as stored: an upload of `path` to `key`, or a download of `key`
 * into `path`.
 */

export type Job = { id: JobId, direction: Direction, 
/**
 * The local file: the source of an upload, the target of a download.
 */
path: string, destination_id: DestinationId, destination_name: string, bucket: string, key: string, state: JobState, bytes_done: number, bytes_total: number, attempts: number, error_code: ErrorKind | null, error_message: string | null, 
/**
 * The batch this job was added in (one `hoist upload` call, one drop on the window).
 */
batch: string, 
/**
 * What to do when the key already holds an object.
 */
if_exists: IfExists, 
/**
 * How a completed job ended, as a code (`None` until it completed).
 */
outcome: Outcome | null, 
/**
 * How a finished download's bytes were checked: `md5`, `multipart-etag`, `crc32c`,
 * `crc32`, `crc64nvme`, joined with `+` when several were (`multipart-etag+crc32c`), or
 * `size-only` for an object that gave nothing to check. `None` for uploads and unfinished
 * or skipped downloads.
 */
verified: string | null, 
/**
 * What is worth telling about how the job went, for people: e.g. "skipped: an identical
 * object exists", "renamed to photo-1.jpg", "the server lost part 3 ...: sent again".
 */
note: string | null, created_at: number, updated_at: number, 
/**
 * The watch that queued this job; `None` for files added by hand and downloads.
 */
watch: WatchId | null, };

/**
 * A destination's stable id; also the keychain entry's user name.
 */

export type DestinationId = string;

/**
 * Where a destination uploads to.
 */

export type DestinationKind = "s3" | "local";

/**
 * A storage provider with a preset. `Generic` is any other S3-compatible server.
 */

export type Provider = "aws" | "r2" | "spaces" | "minio" | "b2" | "wasabi" | "garage" | "generic";

/**
 * How a destination names and labels the objects it receives. `None` means "not set": the
 * server's default (ACL, storage class) or no header (Cache-Control).
 */

export type UploadOptions = { 
/**
 * How a key is built, e.g. `{prefix}{path}` (the default), `{prefix}{date}/{name}`,
 * `{uuid}-{name}`. See `facade::keys` for the placeholders.
 */
key_template: string | null, 
/**
 * Set `Content-Type` from the file name's extension (default on).
 */
detect_content_type: boolean, 
/**
 * A canned ACL such as `private` or `public-read`, where the provider supports ACLs.
 */
acl: string | null, 
/**
 * e.g. `STANDARD_IA`, `GLACIER_IR`, where the provider supports storage classes.
 */
storage_class: string | null, 
/**
 * The `Cache-Control` header, e.g. `max-age=3600`.
 */
cache_control: string | null, 
/**
 * What an upload does when its key is taken, unless the upload says otherwise.
 */
if_exists: IfExists, };

/**
 * What `hoist destination test` found a destination's server accepts. Remembered per destination; the
 * engine leaves out what the server rejected. Fields default to "works" so that a destination
 * never tested behaves as before.
 */

export type Capabilities = { 
/**
 * When the connection test ran, seconds since the Unix epoch.
 */
tested_at: number, 
/**
 * CreateMultipartUpload / UploadPart / CompleteMultipartUpload work.
 */
multipart: boolean, 
/**
 * ListParts works (resume can reconcile with the server).
 */
list_parts: boolean, 
/**
 * ListMultipartUploads works (`hoist cleanup` can find orphans).
 */
list_multipart_uploads: boolean, 
/**
 * The server accepts `Content-MD5` on PUT and UploadPart.
 */
content_md5: boolean, 
/**
 * The server accepts `x-amz-checksum-*` headers.
 */
checksum_headers: boolean, 
/**
 * The server refused a body whose `x-amz-checksum-crc32c` was wrong, so uploads may rely
 * on it instead of Content-MD5. False in what tests before this check remembered: those
 * destinations keep Content-MD5 until tested again.
 */
crc32c_checked: boolean, 
/**
 * A presigned GET URL works.
 */
presign: boolean, 
/**
 * Canned ACLs are accepted.
 */
acl: boolean, };

/**
 * A destination: an S3-compatible bucket or a local folder, with an optional key prefix. Holds
 * no secret: an S3 access key pair lives in the OS keychain under the destination id.
 */

export type Destination = { id: DestinationId, name: string, kind: DestinationKind, 
/**
 * e.g. `https://s3.us-east-1.amazonaws.com` or `http://127.0.0.1:3900`; `None` means AWS.
 */
endpoint: string | null, region: string, bucket: string, path_style: boolean, 
/**
 * Prepended to every key; empty or ending in `/` by convention, but used as given.
 */
prefix: string, 
/**
 * For `Local`: the folder objects are written to (keys become relative paths in it).
 */
folder: string | null, 
/**
 * The local destination Hoist creates on first run; used when no other one exists.
 */
builtin: boolean, 
/**
 * The preset the destination was made from (checksum policy, part-size rules).
 */
provider: Provider | null, 
/**
 * Key template, headers, conflict default.
 */
options: UploadOptions, 
/**
 * What `hoist destination test` found; `None` until it ran.
 */
capabilities: Capabilities | null, };

/**
 * The add form. Empty strings count as "not given". A folder destination's folder is the one
 * last picked ([`choose_destination_folder`]).
 */

export type DestinationForm = { name: string, kind: DestinationKind, provider?: Provider, endpoint?: string, region?: string, account_id?: string, bucket?: string, path_style?: boolean, prefix?: string, access_key_id?: string, secret_access_key?: string, options?: UploadOptions, };

/**
 * The edit form: only what is set changes (an empty string is "not given", never "none"). A
 * new key pair needs both halves.
 */

export type DestinationEdit = { rename?: string, endpoint?: string, region?: string, bucket?: string, path_style?: boolean, prefix?: string, 
/**
 * Use the folder last chosen with [`choose_destination_folder`].
 */
folder_picked?: boolean, access_key_id?: string, secret_access_key?: string, options?: UploadOptions, };

export type PresetView = { id: Provider, };

/**
 * An AWS profile as Hoist would import it: what `destination import-aws` prints and the
 * window's import list shows. It never holds the secret, and only the key id's last 4
 * characters.
 */

export type AwsImport = { aws_profile: string, 
/**
 * The destination it becomes unless named otherwise: `aws` for `default`, else `aws-NAME`.
 */
destination: string, 
/**
 * `…WXYZ`, when the profile has a key pair.
 */
key_tail: string | null, 
/**
 * The profile's region, else `us-east-1`.
 */
region: string, 
/**
 * None for AWS itself.
 */
endpoint: string | null, path_style: boolean, 
/**
 * Why it cannot be imported (SSO, a role, a session token, no keys), when it cannot.
 */
unusable: string | null, };

export type StepOutcome = "ok" | "failed" | "skipped";

/**
 * One check and what it found.
 */

export type ConnectionStep = { 
/**
 * e.g. "DNS", "credentials and bucket", "multipart upload".
 */
name: string, outcome: StepOutcome, 
/**
 * What was found, or what went wrong and how to fix it.
 */
detail: string, 
/**
 * Whether the destination cannot work while this step fails (later steps are skipped).
 */
blocking: boolean, 
/**
 * The error kind behind a failure (`wrong_region`, `bad_credentials`, ...).
 */
error: string | null, };

/**
 * The whole test of one destination.
 */

export type ConnectionReport = { destination: string, steps: Array<ConnectionStep>, 
/**
 * What the server accepts; `None` when the test stopped before the capability checks.
 */
capabilities: Capabilities | null, };

/**
 * What the desktop app lets the user choose, besides concurrency and the bandwidth limits.
 */

export type Preferences = { 
/**
 * Desktop notifications for finished batches, failures and going offline (default on).
 */
notifications: boolean, 
/**
 * Closing the window hides it to the tray; uploads go on (default on).
 */
close_to_tray: boolean, 
/**
 * Start with the window hidden in the tray (default off).
 */
start_minimized: boolean, 
/**
 * Follow symbolic links met inside added folders (default off: a link is skipped with the
 * reason, so a link to `~/.aws/credentials` in a folder is not uploaded by surprise).
 */
follow_links: boolean, 
/**
 * Hold transfers back while NetworkManager says the connection is metered (a phone's
 * hotspot, mobile broadband); they go on by themselves on another network (default off).
 */
pause_on_metered: boolean, 
/**
 * The part size new multipart uploads use, in bytes (default 8 MiB; 5 MiB to 5 GiB). An
 * upload in progress keeps the part size it started with.
 */
part_size: number, };

/**
 * Everything the window's Settings view shows, in one value.
 */

export type Settings = { 
/**
 * Transfers (uploads and downloads together) run at once (1 to 64).
 */
concurrency: number, 
/**
 * Upload bytes per second, all uploads together; `None` for none.
 */
bandwidth_limit: number | null, 
/**
 * Download bytes per second, all downloads together; `None` for none.
 */
download_limit: number | null, 
/**
 * Desktop notifications for finished batches, failures and going offline (default on).
 */
notifications: boolean, 
/**
 * Closing the window hides it to the tray; uploads go on (default on).
 */
close_to_tray: boolean, 
/**
 * Start with the window hidden in the tray (default off).
 */
start_minimized: boolean, 
/**
 * Follow symbolic links met inside added folders (default off: a link is skipped with the
 * reason, so a link to `~/.aws/credentials` in a folder is not uploaded by surprise).
 */
follow_links: boolean, 
/**
 * Hold transfers back while NetworkManager says the connection is metered (a phone's
 * hotspot, mobile broadband); they go on by themselves on another network (default off).
 */
pause_on_metered: boolean, 
/**
 * The part size new multipart uploads use, in bytes (default 8 MiB; 5 MiB to 5 GiB). An
 * upload in progress keeps the part size it started with.
 */
part_size: number, };

/**
 * What a removal did.
 */

export type Removal = { 
/**
 * Deleted from the queue.
 */
removed: Array<JobId>, 
/**
 * Cancelled instead, because their multipart upload must be aborted first (or they were
 * still running); remove them again once that is done.
 */
cancelled: Array<JobId>, };

/**
 * Byte progress of one running job.
 */

export type JobProgress = { id: JobId, bytes_done: number, bytes_total: number, 
/**
 * Moving average over the last few seconds, bytes per second.
 */
bytes_per_sec: number, 
/**
 * When a failed request will be tried again (ms since the Unix epoch), while it waits.
 */
retry_at: number | null, };

/**
 * All running jobs' progress at one instant.
 */

export type ProgressSnapshot = { jobs: Array<JobProgress>, 
/**
 * False while jobs wait for the network.
 */
online: boolean, 
/**
 * True while transfers wait because the connection is metered (the `pause_on_metered`
 * setting).
 */
held_for_metered: boolean, };

/**
 * One job's new state; `error` carries the message when it failed.
 */

export type JobStateChange = { id: JobId, state: JobState, error: string | null, };

/**
 * What happened to the queue since the last message, in order within each list: jobs added
 * (the UI fetches them by id, which gives their state after every change listed here), state
 * changes, and jobs the core took off the queue on its own (a watch's oldest completed
 * uploads).
 */

export type QueueChanges = { added: Array<JobId>, states: Array<JobStateChange>, removed: Array<JobId>, };

/**
 * The storage answers again (`online`) or stopped answering: the queue holds until it does.
 */

export type NetworkChange = { online: boolean, };

/**
 * Transfers wait because the connection is metered and the user asked (`held`), or go on.
 */

export type MeteredHold = { held: boolean, };

/**
 * A watch was added, removed, paused, resumed or edited, or its engine noted a new state.
 */

export type WatchesChanged = Record<symbol, never>;

/**
 * Files are being dragged over the window (`active`), or no longer.
 */

export type DropHover = { active: boolean, };

export type Skipped = { path: string, reason: string, };

export type EnqueueReport = { 
/**
 * Identifies this call's jobs, e.g. to wait for them.
 */
batch: string, jobs: Array<JobId>, bytes: number, skipped: Array<Skipped>, };

/**
 * Where to browse: a destination (the only one, or the built-in folder, when `None`) and a
 * bucket other than its own, if given.
 */

export type Place = { destination?: string, bucket?: string, };

/**
 * One object in a listing.
 */

export type ObjectEntry = { key: string, size: number, 
/**
 * Last modified, in seconds since the Unix epoch, where the server says.
 */
modified: number | null, 
/**
 * Without quotes; `None` where the backend keeps none (a local folder).
 */
etag: string | null, storage_class: string | null, };

/**
 * One page of a listing: sub-folders (whole prefixes, ending in `/`; none when recursive) and
 * objects, each in S3's order (the keys' bytes).
 */

export type Listing = { folders: Array<string>, objects: Array<ObjectEntry>, 
/**
 * Pass back to get the next page; `None` on the last one.
 */
next: string | null, };

/**
 * What a HEAD says about an object, for people.
 */

export type ObjectDetails = { key: string, size: number, modified: number | null, etag: string | null, content_type: string | null, storage_class: string | null, cache_control: string | null, 
/**
 * User metadata (`x-amz-meta-*`), by name.
 */
metadata: { [key in string]: string }, };

/**
 * A key a batch delete could not delete, and why.
 */

export type DeleteFailure = { key: string, error: ErrorKind, message: string, };

/**
 * What a delete did.
 */

export type DeleteReport = { 
/**
 * Objects deleted (or, in a dry run, that would be).
 */
deleted: number, 
/**
 * Their total size, where the listing said (a delete by key does not know it).
 */
bytes: number, failed: Array<DeleteFailure>, 
/**
 * Requests sent: listings and deletes.
 */
requests: number, };

/**
 * A key that could not be queued, and why.
 */

export type RefusedKey = { key: string, reason: string, };

/**
 * What a download adds to the queue.
 */

export type DownloadReport = { 
/**
 * Identifies this call's jobs, e.g. to wait for them.
 */
batch: string, jobs: Array<JobId>, 
/**
 * Total size of the objects found under folders (single keys count when they start).
 */
bytes: number, refused: Array<RefusedKey>, };

/**
 * What went wrong, as far as deciding what to do next is concerned.
 */

export type ErrorKind = "unreachable" | "interrupted" | "throttled" | "server_busy" | "checksum_mismatch" | "bad_credentials" | "access_denied" | "no_such_bucket" | "no_such_upload" | "object_changed" | "part_lost" | "untrusted_certificate" | "wrong_region" | "clock_skew" | "protocol" | "rejected" | "file_missing" | "file_changed" | "file_unreadable" | "invalid_input" | "not_found" | "keychain" | "engine_busy" | "database" | "local";

export type UiError = { 
/**
 * The core's [`hoist_core::ErrorKind`] code, or `internal`.
 */
code: ErrorKind | 'internal', message: string, hint?: string, };

export type EngineStatus = { "state": "driving" } | { "state": "elsewhere" } | { "state": "stopped", message: string, };

/**
 * How a watch is doing, as the engine running it last said.
 */

export type WatchState = "starting" | "watching" | "polling" | "paused" | "error";

/**
 * A watched folder: every finished file below it is uploaded to `bucket` under `prefix`.
 */

export type Watch = { id: WatchId, folder: string, destination_id: DestinationId, destination_name: string, bucket: string, 
/**
 * A folder prefix (`scans/`), or empty.
 */
prefix: string, 
/**
 * `None`: the destination's key template.
 */
key_template: string | null, 
/**
 * Globs of names never uploaded (see `watcher::IgnoreRules`).
 */
ignore: Array<string>, 
/**
 * `None`: the destination's rule.
 */
if_exists: IfExists | null, 
/**
 * How long a file must stay unchanged before it is uploaded, in milliseconds.
 */
settle_ms: number, 
/**
 * Whether deleting a file (or moving it out) deletes the object this watch uploaded.
 */
mirror_deletes: boolean, 
/**
 * Whether the folder is walked on a timer instead of listening for changes.
 */
poll: boolean, paused: boolean, state: WatchState, 
/**
 * Why the watch is polling or failing, in words for people.
 */
note: string | null, 
/**
 * When the watch last queued or deleted something (Unix seconds).
 */
active_at: number | null, 
/**
 * Files this watch queued whose upload finished (or left the queue).
 */
uploaded: number, 
/**
 * Files this watch queued that are still to be uploaded.
 */
pending: number, created_at: number, };

/**
 * The Watches view's add form (ui/src/ipc/types.ts `WatchForm`). Empty strings count as "not
 * given".
 */

export type WatchForm = { 
/**
 * Destination name; not given: the default one.
 */
destination?: string, 
/**
 * Key prefix; not given: the destination's.
 */
prefix?: string, 
/**
 * Globs ignored on top of the defaults.
 */
ignore?: Array<string>, 
/**
 * How long a file must stay unchanged, in milliseconds; not given: 2 s.
 */
settle_ms?: number, if_exists?: IfExists, mirror_deletes?: boolean, poll?: boolean, };

/**
 * A watch's settings as the Watches view's editor shows them, all of them (the folder and the
 * ignore rules have their own ways).
 */

export type WatchEdit = { destination: string, prefix: string, settle_ms: number, 
/**
 * `null`: the destination's rule.
 */
if_exists: IfExists | null, mirror_deletes: boolean, poll: boolean, };

/** Each event the shell sends the window, and its payload (src-tauri/src/events.rs). */
export interface EventMap {
  'hoist://queue-changes': QueueChanges;
  'hoist://network': NetworkChange;
  'hoist://metered-hold': MeteredHold;
  'hoist://watches-changed': WatchesChanged;
  'hoist://progress': ProgressSnapshot;
  'hoist://resync': null;
  'hoist://engine': EngineStatus;
  'hoist://enqueued': EnqueueReport;
  'hoist://error': UiError;
  'hoist://drop-hover': DropHover;
}

/** Which states each user action moves a job out of, and where to, in the order the window shows them (model/transition.rs). */
export const JOB_MOVES = {
  pause: { from: ["queued","running"], to: "paused" },
  resume: { from: ["paused"], to: "queued" },
  retry: { from: ["failed","cancelled"], to: "queued" },
  cancel: { from: ["queued","running","paused","failed"], to: "cancelled" },
} as const;

/** Each command the shell answers (src-tauri/src/commands/): its arguments, as Tauri takes them, and its result. */
export interface Commands {
  add_destination: { args: { form: DestinationForm }; result: Destination };
  add_from_picker: { args: { folders: boolean, destination: string | null, prefix: string | null }; result: EnqueueReport | null };
  add_watch: { args: { form: WatchForm }; result: Watch | null };
  cancel_jobs: { args: { ids: number[] }; result: JobId[] };
  choose_destination_folder: { args: {}; result: string | null };
  clear_finished: { args: {}; result: JobId[] };
  copy_text: { args: { text: string }; result: void };
  default_ignores: { args: {}; result: string[] };
  delete_objects: { args: { place: Place, keys: string[] }; result: DeleteReport };
  download_objects: { args: { place: Place, keys: string[] }; result: DownloadReport | null };
  edit_destination: { args: { name: string, edit: DestinationEdit }; result: Destination };
  edit_watch: { args: { id: number, edit: WatchEdit }; result: Watch };
  engine_status: { args: {}; result: EngineStatus };
  get_autostart: { args: {}; result: boolean };
  get_settings: { args: {}; result: Settings };
  get_window_view: { args: {}; result: string | null };
  import_aws_profile: { args: { awsProfile: string, name: string, bucket: string }; result: Destination };
  jobs_by_id: { args: { ids: number[] }; result: Job[] };
  list_aws_profiles: { args: {}; result: AwsImport[] };
  list_destinations: { args: {}; result: Destination[] };
  list_jobs: { args: {}; result: Job[] };
  list_objects: { args: { place: Place, prefix: string, recursive: boolean, page: string | null, limit: number }; result: Listing };
  list_presets: { args: {}; result: PresetView[] };
  list_watches: { args: {}; result: Watch[] };
  object_details: { args: { place: Place, key: string }; result: ObjectDetails };
  pause_all: { args: {}; result: JobId[] };
  pause_jobs: { args: { ids: number[] }; result: JobId[] };
  pause_watch: { args: { id: number }; result: void };
  progress_snapshot: { args: {}; result: ProgressSnapshot };
  remove_destination: { args: { name: string }; result: void };
  remove_jobs: { args: { ids: number[] }; result: Removal };
  remove_watch: { args: { id: number }; result: void };
  resume_all: { args: {}; result: JobId[] };
  resume_jobs: { args: { ids: number[] }; result: JobId[] };
  resume_watch: { args: { id: number }; result: void };
  retry_jobs: { args: { ids: number[] }; result: JobId[] };
  set_autostart: { args: { enabled: boolean }; result: boolean };
  set_drop_target: { args: { destination: string | null, prefix: string | null }; result: void };
  set_settings: { args: { settings: Settings }; result: Settings };
  set_watch_ignore: { args: { id: number, ignore: string[] }; result: Watch };
  set_window_view: { args: { view: string }; result: void };
  share_link: { args: { place: Place, key: string, expiresSecs: number }; result: string };
  show_in_folder: { args: { id: number }; result: void };
  test_destination: { args: { name: string }; result: ConnectionReport };
}
