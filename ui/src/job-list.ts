// The queue's jobs in the core's order, kept so that one job's change costs O(1) (plus a memmove
// in a per-state list): where each job sits, the jobs of each state in queue order, the count per
// state and the byte totals are all updated job by job. With 100,000 jobs a lifecycle event used
// to copy the list and walk it several times (issue 19); a reload still builds a new list.
import type { Job, JobId, JobState } from './ipc/types';
import { JOB_STATES } from './ipc/types';

export class JobList {
  private readonly items: Job[];
  private readonly position = new Map<JobId, number>();
  /** Per state, the positions of its jobs, ascending: a filtered view without a filter pass. */
  private readonly byState = new Map<JobState, number[]>();
  /** Bytes of every job, and bytes done of those that are not running. */
  private totalBytes = 0;
  private restingBytesDone = 0;
  /** Bumped by every change, so a view can tell whether it has drawn this list already. */
  version = 0;

  constructor(jobs: readonly Job[] = []) {
    this.items = jobs.slice();
    for (const state of JOB_STATES) this.byState.set(state, []);
    this.items.forEach((job, i) => this.index(job, i));
  }

  get length(): number {
    return this.items.length;
  }

  get(id: JobId): Job | undefined {
    const i = this.position.get(id);
    return i === undefined ? undefined : this.items[i];
  }

  has(id: JobId): boolean {
    return this.position.has(id);
  }

  /** Every job in queue order (do not change it: use `replace`). */
  all(): readonly Job[] {
    return this.items;
  }

  /** How many jobs are in `state`. */
  countOf(state: JobState): number {
    return this.byState.get(state)!.length;
  }

  /** The jobs a view shows: all of them, or those in one state. */
  shown(filter: JobState | 'all'): ShownJobs {
    if (filter === 'all') return { length: this.items.length, at: (i) => this.items[i]! };
    const positions = this.byState.get(filter)!;
    return { length: positions.length, at: (i) => this.items[positions[i]!]! };
  }

  /** The jobs now running. */
  running(): Job[] {
    return this.byState.get('running')!.map((i) => this.items[i]!);
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /** Bytes done of the jobs that are not running (running ones have live counters). */
  get restingDone(): number {
    return this.restingBytesDone;
  }

  /** Appends `jobs` in place if each comes after the last job (ids ascending, none known);
   * false, changing nothing, otherwise. */
  append(jobs: readonly Job[]): boolean {
    let last = this.items.length > 0 ? this.items[this.items.length - 1]!.id : -Infinity;
    for (const job of jobs) {
      if (job.id <= last) return false;
      last = job.id;
    }
    for (const job of jobs) this.index(job, this.items.push(job) - 1);
    if (jobs.length > 0) this.version++;
    return true;
  }

  /** A new list without `ids`: O(n), for the rare batch the core takes off the queue. */
  without(ids: readonly JobId[]): JobList {
    const gone = new Set(ids);
    return new JobList(this.items.filter((job) => !gone.has(job.id)));
  }

  /** Puts `job` in the place of the job with its id; false if there is none. */
  replace(job: Job): boolean {
    const i = this.position.get(job.id);
    if (i === undefined) return false;
    const old = this.items[i]!;
    this.count(old, -1);
    this.count(job, 1);
    if (old.state !== job.state) {
      const from = this.byState.get(old.state)!;
      from.splice(lowerBound(from, i), 1);
      const to = this.byState.get(job.state)!;
      to.splice(lowerBound(to, i), 0, i);
    }
    this.items[i] = job;
    this.version++;
    return true;
  }

  /** Records the job at position `i` (the last so far) in the lookups and totals. */
  private index(job: Job, i: number): void {
    this.position.set(job.id, i);
    this.byState.get(job.state)!.push(i);
    this.count(job, 1);
  }

  private count(job: Job, sign: 1 | -1): void {
    this.totalBytes += sign * job.bytes_total;
    if (job.state !== 'running') this.restingBytesDone += sign * (job.state === 'completed' ? job.bytes_total : job.bytes_done);
  }
}

/** A view's jobs, by index, without copying them out of the list. */
export interface ShownJobs {
  length: number;
  at(index: number): Job;
}

/** The first index of `sorted` whose value is not below `value`. */
function lowerBound(sorted: number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid]! < value) low = mid + 1;
    else high = mid;
  }
  return low;
}
