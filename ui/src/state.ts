// The queue view's state and the pure functions that change it. No DOM and no IPC here, so the
// rules (which buttons a row offers, how progress overlays the stored counters) are unit-tested
// on their own.
import { fileName, formatBytes, formatRate, percent } from './format';
import { JobList } from './job-list';
import type { ShownJobs } from './job-list';
import type { Direction, EngineStatus, Job, JobId, JobProgress, JobState, JobStateChange, ProgressSnapshot, JobMove, Watch, WatchId } from './ipc/types';
import { JOB_MOVES, JOB_STATES } from './ipc/types';

/** A row's button: a move of the job's state (the core's), or taking it off the list, or showing it. */
export type Action = JobMove | 'remove' | 'show';

/** Which jobs the list shows. */
export type Filter = JobState | 'all';

export interface Notice {
  kind: 'error' | 'info';
  text: string;
}

export interface QueueState {
  /** In the order the core lists them. A lifecycle event changes one job of it in place; a
   * reload replaces it. */
  jobs: JobList;
  /** Live byte counts of running jobs; they override the stored counters. */
  progress: ReadonlyMap<JobId, JobProgress>;
  online: boolean;
  /** Transfers wait: the connection is metered and the user asked (Settings). */
  heldForMetered: boolean;
  engine: EngineStatus | null;
  dropActive: boolean;
  notice: Notice | null;
  /** Rows with a command in flight: their buttons are disabled. */
  busy: ReadonlySet<JobId>;
  filter: Filter;
  /** Each watch's folder name, for tagging the uploads it queued. */
  watchNames: ReadonlyMap<WatchId, string>;
}

/** What one row shows; the view renders it and nothing else. */
export interface RowView {
  id: JobId;
  name: string;
  path: string;
  key: string;
  destination: string;
  direction: Direction;
  state: JobState;
  stateLabel: string;
  percent: number;
  detail: string;
  error: string | null;
  /** "skipped: …" / "renamed to …" for finished jobs. */
  note: string | null;
  /** "attempt 2" after a retry, else empty. */
  attempts: string;
  /** "4.2 MiB/s · 1 min left" while uploading, else empty. */
  speed: string;
  actions: Action[];
  busy: boolean;
  /** "watched: Scans" for an upload a watched folder queued, else null. */
  watch: string | null;
  /** How a finished download was checked (`md5`, `multipart-etag+crc32c`, `size-only`). */
  verified: string | null;
}

export function initialState(): QueueState {
  return {
    jobs: new JobList(),
    progress: new Map(),
    online: true,
    heldForMetered: false,
    engine: null,
    dropActive: false,
    notice: null,
    busy: new Set(),
    filter: 'all',
    watchNames: new Map(),
  };
}

/** The watches' folder names, for the rows their uploads show in. */
export function withWatches(state: QueueState, watches: Watch[]): QueueState {
  return { ...state, watchNames: new Map(watches.map((w) => [w.id, fileName(w.folder)])) };
}

/** The states whose rows offer Remove: finished jobs. (The core would also take an unfinished
 * one off the list, cancelling it; the window asks for Cancel first.) */
const REMOVABLE: readonly JobState[] = ['failed', 'cancelled', 'completed'];

/** Each state's buttons: the user actions the core's state machine allows from it (JOB_MOVES,
 * in its order), then Remove where it applies. */
const ACTIONS = Object.fromEntries(
  JOB_STATES.map((state) => {
    const moves = (Object.keys(JOB_MOVES) as JobMove[]).filter((move) => (JOB_MOVES[move].from as readonly JobState[]).includes(state));
    return [state, REMOVABLE.includes(state) ? [...moves, 'remove'] : moves];
  }),
) as Record<JobState, Action[]>;

/** The buttons a job in `state` offers, in display order; a finished download can also be shown
 * in its folder. */
export function actionsFor(state: JobState, direction: Direction = 'upload'): Action[] {
  return direction === 'download' && state === 'completed' ? ['show', ...ACTIONS[state]] : ACTIONS[state];
}

const STATE_LABELS: Record<JobState, string> = {
  queued: 'Queued',
  running: 'Uploading',
  paused: 'Paused',
  completed: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

/** Replaces the job list (a reload); progress of jobs that no longer run is dropped. */
export function withJobs(state: QueueState, jobs: readonly Job[]): QueueState {
  const list = new JobList(jobs);
  const progress = new Map([...state.progress].filter(([id]) => list.get(id)?.state === 'running'));
  const busy = new Set([...state.busy].filter((id) => list.has(id)));
  return { ...state, jobs: list, progress, busy };
}

/** Adds jobs fetched after the core said they were added: appended in place when they come
 * after the list (the usual case: ids grow), else merged in queue (id) order. A job the list
 * holds already (a reload got it first) is replaced by the fetched one. */
export function withAddedJobs(state: QueueState, jobs: readonly Job[]): QueueState {
  if (state.jobs.append(jobs)) return { ...state };
  const fetched = new Map(jobs.map((j) => [j.id, j]));
  const merged = state.jobs
    .all()
    .filter((j) => !fetched.has(j.id))
    .concat(jobs);
  merged.sort((a, b) => a.id - b.id);
  return withJobs(state, merged);
}

/** Drops jobs the core took off the queue, with their progress and busy marks. */
export function withoutJobs(state: QueueState, ids: readonly JobId[]): QueueState {
  return withJobs(state, state.jobs.without(ids).all());
}

/**
 * Applies a lifecycle event: O(1), the job is changed in its list in place. `known` is false when
 * the job is not in the list yet (added by another process, or the list is stale): the caller
 * should reload.
 */
export function applyJobState(state: QueueState, event: JobStateChange): { state: QueueState; known: boolean } {
  const old = state.jobs.get(event.id);
  if (!old) return { state, known: false };
  const job: Job = {
    ...old,
    state: event.state,
    error_message: event.state === 'failed' ? (event.error ?? old.error_message) : null,
    error_code: event.state === 'failed' ? old.error_code : null,
  };
  if (event.state === 'completed') job.bytes_done = job.bytes_total;
  let progress = state.progress;
  if (event.state !== 'running' && progress.has(event.id)) {
    const next = new Map(progress);
    const last = next.get(event.id)!;
    // Keep the last byte count the user saw instead of jumping back to the stored one.
    if (event.state !== 'completed') job.bytes_done = Math.max(job.bytes_done, last.bytes_done);
    next.delete(event.id);
    progress = next;
  }
  state.jobs.replace(job);
  return { state: { ...state, progress }, known: true };
}

/**
 * Takes a progress snapshot. `unknown` lists running ids the state has no row for (the caller
 * should reload).
 */
export function applyProgress(state: QueueState, snapshot: ProgressSnapshot): { state: QueueState; unknown: JobId[] } {
  const progress = new Map(snapshot.jobs.map((p) => [p.id, p]));
  const unknown = snapshot.jobs.filter((p) => !state.jobs.has(p.id)).map((p) => p.id);
  return { state: { ...state, progress, online: snapshot.online, heldForMetered: snapshot.held_for_metered }, unknown };
}

export function withBusy(state: QueueState, id: JobId, busy: boolean): QueueState {
  const next = new Set(state.busy);
  if (busy) next.add(id);
  else next.delete(id);
  return { ...state, busy: next };
}

const NO_WATCHES: ReadonlyMap<WatchId, string> = new Map();

export function rowView(
  job: Job,
  progress: JobProgress | undefined,
  busy = false,
  now = Date.now(),
  watchNames: ReadonlyMap<WatchId, string> = NO_WATCHES,
): RowView {
  const live = job.state === 'running' ? progress : undefined;
  const total = live?.bytes_total ?? job.bytes_total;
  const done = job.state === 'completed' ? total : (live?.bytes_done ?? job.bytes_done);
  const detail = total > 0 ? `${formatBytes(done)} of ${formatBytes(total)}` : formatBytes(done);
  let speed = '';
  if (live?.retry_at && live.retry_at > now) {
    speed = `retrying in ${Math.ceil((live.retry_at - now) / 1000)} s`;
  } else if (live && live.bytes_per_sec > 0) {
    speed = `${formatRate(live.bytes_per_sec)} · ${formatEta((total - done) / live.bytes_per_sec)}`;
  }
  return {
    id: job.id,
    name: fileName(job.path),
    path: job.path,
    key: job.key,
    destination: job.direction === 'download' ? `from ${job.destination_name}: ${job.bucket}/${job.key}` : `${job.destination_name}: ${job.bucket}/${job.key}`,
    direction: job.direction,
    state: job.state,
    stateLabel: job.state === 'running' && job.direction === 'download' ? 'Downloading' : STATE_LABELS[job.state],
    percent: job.state === 'completed' ? 100 : percent(done, total),
    detail,
    error: job.state === 'failed' ? (job.error_message ?? job.error_code ?? 'Failed') : null,
    note: job.state === 'completed' ? (job.note ?? sizeOnlyNote(job)) : null,
    attempts: job.attempts > 1 ? `attempt ${job.attempts}` : '',
    speed,
    actions: actionsFor(job.state, job.direction),
    busy,
    watch: job.watch === null ? null : `watched: ${watchNames.get(job.watch) ?? `folder ${job.watch}`}`,
    verified: job.verified,
  };
}

/** A download whose bytes could only be checked by their size says so on its row. */
function sizeOnlyNote(job: Job): string | null {
  return job.verified === 'size-only' ? 'verified by size only: the server gave nothing else to check' : null;
}

/** Every row the current filter shows (the view draws only those on screen: see view.ts). */
export function rows(state: QueueState): RowView[] {
  const shown = visibleJobs(state);
  return Array.from({ length: shown.length }, (_, i) => {
    const job = shown.at(i);
    return rowView(job, state.progress.get(job.id), state.busy.has(job.id), Date.now(), state.watchNames);
  });
}

/** The jobs the current filter shows, in queue order. */
export function visibleJobs(state: QueueState): ShownJobs {
  return state.jobs.shown(state.filter);
}

export function withFilter(state: QueueState, filter: Filter): QueueState {
  return { ...state, filter };
}

/** "12 s left", "3 min left", "2 h 5 min left". */
export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '';
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s left`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min left`;
  const hours = Math.floor(seconds / 3600);
  return `${hours} h ${Math.round((seconds - hours * 3600) / 60)} min left`;
}

export interface Totals {
  files: number;
  bytes: number;
  bytesDone: number;
  /** Sum of the running jobs' rates, bytes per second. */
  rate: number;
}

/** Totals over the whole queue, live counters over stored ones. */
export function totals(state: QueueState): Totals {
  let bytesDone = state.jobs.restingDone;
  for (const job of state.jobs.running()) bytesDone += state.progress.get(job.id)?.bytes_done ?? job.bytes_done;
  const bytes = state.jobs.bytes;
  let rate = 0;
  for (const p of state.progress.values()) rate += p.bytes_per_sec;
  return { files: state.jobs.length, bytes, bytesDone, rate };
}

export function totalsLine(t: Totals): string {
  if (t.files === 0) return '';
  const files = `${t.files} file${t.files === 1 ? '' : 's'}`;
  const rate = t.rate > 0 ? ` · ${formatRate(t.rate)}` : '';
  return `${files} · ${formatBytes(t.bytesDone)} of ${formatBytes(t.bytes)}${rate}`;
}

/** "2 uploading · 3 queued · 1 failed", counting only states that have jobs. */
export function summary(jobs: JobList): string {
  const order: JobState[] = ['running', 'queued', 'paused', 'failed', 'completed', 'cancelled'];
  const parts = order.filter((s) => jobs.countOf(s) > 0).map((s) => `${jobs.countOf(s)} ${STATE_LABELS[s].toLowerCase()}`);
  return parts.join(' · ');
}

/** A one-line status for the header, or null when all is well. */
export function statusLine(state: QueueState): string | null {
  const engine = state.engine;
  if (engine?.state === 'elsewhere') return 'Another Hoist process is uploading this queue';
  if (engine?.state === 'stopped') return `Uploads stopped: ${engine.message}`;
  if (state.heldForMetered) return 'Paused on a metered connection';
  if (!state.online) return 'Waiting for network…';
  return null;
}
