// The queue view's state and the pure functions that change it. No DOM and no IPC here, so the
// rules (which buttons a row offers, how progress overlays the stored counters) are unit-tested
// on their own.
import { fileName, formatBytes, formatRate, percent } from './format';
import type {
  Direction,
  EngineStatus,
  Job,
  JobId,
  JobProgress,
  JobState,
  JobStateEvent,
  ProgressSnapshot,
  Watch,
  WatchId,
} from './ipc/types';

export type Action = 'pause' | 'resume' | 'retry' | 'cancel' | 'remove' | 'show';

/** Which jobs the list shows. */
export type Filter = JobState | 'all';

export interface Notice {
  kind: 'error' | 'info';
  text: string;
}

export interface QueueState {
  /** In the order the core lists them. */
  jobs: Job[];
  /** Live byte counts of running jobs; they override the stored counters. */
  progress: ReadonlyMap<JobId, JobProgress>;
  online: boolean;
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
  /** "4.2 MB/s · 1 min left" while uploading, else empty. */
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
    jobs: [],
    progress: new Map(),
    online: true,
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

const ACTIONS: Record<JobState, Action[]> = {
  queued: ['pause', 'cancel'],
  running: ['pause', 'cancel'],
  paused: ['resume', 'cancel'],
  failed: ['retry', 'cancel', 'remove'],
  cancelled: ['retry', 'remove'],
  completed: ['remove'],
};

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
export function withJobs(state: QueueState, jobs: Job[]): QueueState {
  const running = new Set(jobs.filter((j) => j.state === 'running').map((j) => j.id));
  const progress = new Map([...state.progress].filter(([id]) => running.has(id)));
  const ids = new Set(jobs.map((j) => j.id));
  const busy = new Set([...state.busy].filter((id) => ids.has(id)));
  return { ...state, jobs, progress, busy };
}

/**
 * Applies a lifecycle event. `known` is false when the job is not in the list yet (added by
 * another process, or the list is stale): the caller should reload.
 */
export function applyJobState(state: QueueState, event: JobStateEvent): { state: QueueState; known: boolean } {
  const index = state.jobs.findIndex((j) => j.id === event.id);
  if (index < 0) return { state, known: false };
  const old = state.jobs[index]!;
  const job: Job = {
    ...old,
    state: event.state,
    error_message: event.state === 'failed' ? (event.error ?? old.error_message) : null,
    error_code: event.state === 'failed' ? old.error_code : null,
  };
  if (event.state === 'completed') job.bytes_done = job.bytes_total;
  const jobs = state.jobs.slice();
  jobs[index] = job;
  let progress = state.progress;
  if (event.state !== 'running' && progress.has(event.id)) {
    const next = new Map(progress);
    const last = next.get(event.id)!;
    // Keep the last byte count the user saw instead of jumping back to the stored one.
    if (event.state !== 'completed') job.bytes_done = Math.max(job.bytes_done, last.bytes_done);
    next.delete(event.id);
    progress = next;
  }
  return { state: { ...state, jobs, progress }, known: true };
}

/**
 * Takes a progress snapshot. `unknown` lists running ids the state has no row for (the caller
 * should reload).
 */
export function applyProgress(state: QueueState, snapshot: ProgressSnapshot): { state: QueueState; unknown: JobId[] } {
  const ids = jobIndex(state.jobs).ids;
  const progress = new Map(snapshot.jobs.map((p) => [p.id, p]));
  const unknown = snapshot.jobs.filter((p) => !ids.has(p.id)).map((p) => p.id);
  return { state: { ...state, progress, online: snapshot.online }, unknown };
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
    destination:
      job.direction === 'download'
        ? `from ${job.destination_name}: ${job.bucket}/${job.key}`
        : `${job.destination_name}: ${job.bucket}/${job.key}`,
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

export function rows(state: QueueState): RowView[] {
  return visibleJobs(state).map((job) => rowView(job, state.progress.get(job.id), state.busy.has(job.id), Date.now(), state.watchNames));
}

/** The jobs the current filter shows, in queue order. */
export function visibleJobs(state: QueueState): Job[] {
  const filter = state.filter;
  return filter === 'all' ? state.jobs : state.jobs.filter((j) => j.state === filter);
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

/**
 * What does not change between two reloads of the list, computed once per list: the ids, the
 * count per state, and the byte totals of jobs that are not running. Progress batches then cost
 * O(running jobs), not O(all jobs).
 */
interface JobIndex {
  ids: Set<JobId>;
  counts: Map<JobState, number>;
  bytes: number;
  /** Bytes done of the jobs that are not running. */
  restingDone: number;
  running: Job[];
}

const indexes = new WeakMap<Job[], JobIndex>();

function jobIndex(jobs: Job[]): JobIndex {
  const cached = indexes.get(jobs);
  if (cached) return cached;
  const index: JobIndex = { ids: new Set(), counts: new Map(), bytes: 0, restingDone: 0, running: [] };
  for (const job of jobs) {
    index.ids.add(job.id);
    index.counts.set(job.state, (index.counts.get(job.state) ?? 0) + 1);
    index.bytes += job.bytes_total;
    if (job.state === 'running') index.running.push(job);
    else index.restingDone += job.state === 'completed' ? job.bytes_total : job.bytes_done;
  }
  indexes.set(jobs, index);
  return index;
}

/** Totals over the whole queue, live counters over stored ones. */
export function totals(state: QueueState): Totals {
  const index = jobIndex(state.jobs);
  let bytesDone = index.restingDone;
  for (const job of index.running) bytesDone += state.progress.get(job.id)?.bytes_done ?? job.bytes_done;
  const bytes = index.bytes;
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
export function summary(jobs: Job[]): string {
  const counts = jobIndex(jobs).counts;
  const order: JobState[] = ['running', 'queued', 'paused', 'failed', 'completed', 'cancelled'];
  const parts = order
    .filter((s) => counts.has(s))
    .map((s) => `${counts.get(s)} ${STATE_LABELS[s].toLowerCase()}`);
  return parts.join(' · ');
}

/** A one-line status for the header, or null when all is well. */
export function statusLine(state: QueueState): string | null {
  const engine = state.engine;
  if (engine?.state === 'elsewhere') return 'Another Hoist process is uploading this queue';
  if (engine?.state === 'stopped') return `Uploads stopped: ${engine.message}`;
  if (!state.online) return 'Waiting for network…';
  return null;
}
