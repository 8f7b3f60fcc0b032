import { describe, expect, it } from 'vitest';
import { JobList } from '../src/job-list';
import { makeJob } from '../src/ipc/mock';
import type { Job, JobState } from '../src/ipc/types';

function ids(list: JobList, filter: JobState | 'all'): number[] {
  const shown = list.shown(filter);
  return Array.from({ length: shown.length }, (_, i) => shown.at(i).id);
}

describe('JobList', () => {
  const jobs: Job[] = [
    makeJob({ id: 1, state: 'queued', bytes_total: 100, bytes_done: 0 }),
    makeJob({ id: 2, state: 'running', bytes_total: 200, bytes_done: 50 }),
    makeJob({ id: 3, state: 'queued', bytes_total: 300, bytes_done: 10 }),
    makeJob({ id: 4, state: 'completed', bytes_total: 400, bytes_done: 400 }),
  ];

  it('keeps the per-state lists in queue order as jobs change state', () => {
    const list = new JobList(jobs);
    expect(ids(list, 'queued')).toEqual([1, 3]);
    list.replace({ ...list.get(3)!, state: 'running' });
    list.replace({ ...list.get(1)!, state: 'running' });
    expect(ids(list, 'running')).toEqual([1, 2, 3]);
    expect(ids(list, 'queued')).toEqual([]);
    list.replace({ ...list.get(2)!, state: 'completed' });
    expect(ids(list, 'completed')).toEqual([2, 4]);
    expect(ids(list, 'all')).toEqual([1, 2, 3, 4]);
    expect(list.countOf('running')).toBe(2);
  });

  it('keeps the byte totals of resting jobs as a job is replaced', () => {
    const list = new JobList(jobs);
    // Not running: 0 + 10 + 400 done (the running job's 50 are live, not resting).
    expect(list.restingDone).toBe(410);
    expect(list.bytes).toBe(1000);
    list.replace({ ...list.get(2)!, state: 'completed', bytes_done: 200 });
    expect(list.restingDone).toBe(610);
    list.replace({ ...list.get(3)!, state: 'running' });
    expect(list.restingDone).toBe(600);
    expect(list.running().map((j) => j.id)).toEqual([3]);
  });

  it('refuses a job it does not hold and changes nothing', () => {
    const list = new JobList(jobs);
    const version = list.version;
    expect(list.replace(makeJob({ id: 99, state: 'failed' }))).toBe(false);
    expect(list.version).toBe(version);
    expect(list.countOf('failed')).toBe(0);
  });

  it('does not share its order with the array it was built from', () => {
    const source = jobs.slice();
    const list = new JobList(source);
    source.reverse();
    expect(ids(list, 'all')).toEqual([1, 2, 3, 4]);
  });

  it('appends jobs that come after it, and refuses ones that do not', () => {
    const list = new JobList(jobs);
    expect(list.append([makeJob({ id: 5, state: 'queued', bytes_total: 50 })])).toBe(true);
    expect(ids(list, 'queued')).toEqual([1, 3, 5]);
    expect(list.bytes).toBe(1050);
    expect(list.append([makeJob({ id: 9 }), makeJob({ id: 7 })])).toBe(false);
    expect(list.append([makeJob({ id: 3 })])).toBe(false);
    expect(ids(list, 'all')).toEqual([1, 2, 3, 4, 5]);
  });
});
