// An in-memory Ipc for unit tests (and for running the UI in a plain browser): jobs live in an
// array, commands change them like the core's state machine does, and tests push events by hand.
import type {
  EngineStatus,
  EnqueueReport,
  EventMap,
  EventName,
  Ipc,
  Job,
  JobId,
  JobState,
  UiError,
  Unlisten,
} from './types';

type Command = 'listJobs' | 'pauseJobs' | 'resumeJobs' | 'cancelJobs' | 'retryJobs' | 'addPaths' | 'engineStatus';

type Handler = (payload: never) => void;

/** Which states each command moves a job out of, and where to (mirrors the core's rules). */
const MOVES: Record<'pause' | 'resume' | 'cancel' | 'retry', { from: JobState[]; to: JobState }> = {
  pause: { from: ['queued', 'running'], to: 'paused' },
  resume: { from: ['paused'], to: 'queued' },
  cancel: { from: ['queued', 'running', 'paused', 'failed'], to: 'cancelled' },
  retry: { from: ['failed', 'cancelled'], to: 'queued' },
};

let nextId = 1;

/** A job with sensible defaults; tests override what they assert on. */
export function makeJob(fields: Partial<Job> = {}): Job {
  const id = fields.id ?? nextId++;
  const path = fields.path ?? `/home/me/file-${id}.bin`;
  return {
    id,
    path,
    profile_id: 'p1',
    profile_name: 'default',
    bucket: 'bucket',
    key: path.split('/').pop() ?? path,
    state: 'queued',
    bytes_done: 0,
    bytes_total: 1000,
    attempts: 0,
    error_code: null,
    error_message: null,
    batch: 'b1',
    created_at: 0,
    updated_at: 0,
    ...fields,
  };
}

export class MockIpc implements Ipc {
  jobs: Job[];
  engine: EngineStatus = { state: 'driving' };
  /** Every command call, in order, with its arguments. */
  readonly calls: { command: Command; args: unknown[] }[] = [];
  private readonly failures = new Map<Command, UiError>();
  private readonly handlers = new Map<EventName, Set<Handler>>();

  constructor(jobs: Job[] = []) {
    this.jobs = jobs.map((j) => ({ ...j }));
  }

  /** The next call of `command` rejects with `error`. */
  failNext(command: Command, error: UiError): void {
    this.failures.set(command, error);
  }

  /** Delivers an event to every listener, as the shell would. */
  emit<K extends EventName>(event: K, payload: EventMap[K]): void {
    for (const handler of this.handlers.get(event) ?? []) (handler as (p: EventMap[K]) => void)(payload);
  }

  listenerCount(event: EventName): number {
    return this.handlers.get(event)?.size ?? 0;
  }

  count(command: Command): number {
    return this.calls.filter((c) => c.command === command).length;
  }

  listJobs(): Promise<Job[]> {
    return this.run('listJobs', [], () => this.jobs.map((j) => ({ ...j })));
  }

  pauseJobs(ids: JobId[]): Promise<JobId[]> {
    return this.run('pauseJobs', [ids], () => this.move(ids, 'pause'));
  }

  resumeJobs(ids: JobId[]): Promise<JobId[]> {
    return this.run('resumeJobs', [ids], () => this.move(ids, 'resume'));
  }

  cancelJobs(ids: JobId[]): Promise<JobId[]> {
    return this.run('cancelJobs', [ids], () => this.move(ids, 'cancel'));
  }

  retryJobs(ids: JobId[]): Promise<JobId[]> {
    return this.run('retryJobs', [ids], () => this.move(ids, 'retry'));
  }

  addPaths(paths: string[], profile?: string): Promise<EnqueueReport> {
    return this.run('addPaths', [paths, profile], () => {
      const added = paths.map((path) => makeJob({ path, profile_name: profile ?? 'default' }));
      this.jobs.push(...added);
      return { batch: `batch-${added[0]?.id ?? 0}`, jobs: added.map((j) => j.id), bytes: added.reduce((n, j) => n + j.bytes_total, 0), skipped: [] };
    });
  }

  engineStatus(): Promise<EngineStatus> {
    return this.run('engineStatus', [], () => this.engine);
  }

  listen<K extends EventName>(event: K, handler: (payload: EventMap[K]) => void): Promise<Unlisten> {
    let set = this.handlers.get(event);
    if (!set) this.handlers.set(event, (set = new Set()));
    set.add(handler as Handler);
    return Promise.resolve(() => set.delete(handler as Handler));
  }

  private move(ids: JobId[], action: keyof typeof MOVES): JobId[] {
    const { from, to } = MOVES[action];
    const changed: JobId[] = [];
    for (const job of this.jobs) {
      if (ids.includes(job.id) && from.includes(job.state)) {
        job.state = to;
        if (to === 'queued') {
          job.error_code = null;
          job.error_message = null;
        }
        changed.push(job.id);
      }
    }
    return changed;
  }

  private run<T>(command: Command, args: unknown[], body: () => T): Promise<T> {
    this.calls.push({ command, args });
    const failure = this.failures.get(command);
    if (failure) {
      this.failures.delete(command);
      return Promise.reject(failure);
    }
    return Promise.resolve(body());
  }
}
