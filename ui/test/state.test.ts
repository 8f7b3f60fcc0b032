import { describe, expect, it } from 'vitest';
import { JobList } from '../src/job-list';
import { makeJob } from '../src/ipc/mock';
import { JOB_STATES } from '../src/ipc/types';
import { actionsFor, applyJobState, applyProgress, initialState, rowView, statusLine, summary, withAddedJobs, withJobs } from '../src/state';

describe('actionsFor', () => {
  it('offers exactly the moves the queue allows from each state', () => {
    expect(actionsFor('queued')).toEqual(['pause', 'cancel']);
    expect(actionsFor('running')).toEqual(['pause', 'cancel']);
    expect(actionsFor('paused')).toEqual(['resume', 'cancel']);
    expect(actionsFor('failed')).toEqual(['retry', 'cancel', 'remove']);
    expect(actionsFor('cancelled')).toEqual(['retry', 'remove']);
    expect(actionsFor('completed')).toEqual(['remove']);
    expect(actionsFor('completed', 'download')).toEqual(['show', 'remove']);
    expect(actionsFor('running', 'download')).toEqual(['pause', 'cancel']);
  });

  it('never offers resume to a job that is not paused, nor retry to one that can still run', () => {
    for (const state of JOB_STATES) {
      expect(actionsFor(state).includes('resume')).toBe(state === 'paused');
      expect(actionsFor(state).includes('retry')).toBe(state === 'failed' || state === 'cancelled');
    }
  });
});

describe('rowView', () => {
  it('overlays live progress on a running job', () => {
    const job = makeJob({ id: 1, state: 'running', bytes_done: 100, bytes_total: 4096 });
    const view = rowView(job, { id: 1, bytes_done: 2048, bytes_total: 4096, bytes_per_sec: 1024, retry_at: null });
    expect(view.percent).toBe(50);
    expect(view.detail).toBe('2.0 KiB of 4.0 KiB');
    expect(view.speed).toBe('1.0 KiB/s · 2 s left');
    expect(view.stateLabel).toBe('Uploading');
  });

  it('ignores stale progress of a job that is no longer running', () => {
    const job = makeJob({ id: 1, state: 'paused', bytes_done: 1024, bytes_total: 4096 });
    const view = rowView(job, { id: 1, bytes_done: 3000, bytes_total: 4096, bytes_per_sec: 9, retry_at: null });
    expect(view.percent).toBe(25);
    expect(view.detail).not.toContain('/s');
  });

  it('shows a completed empty file as done and a failed job with its message', () => {
    expect(rowView(makeJob({ state: 'completed', bytes_done: 0, bytes_total: 0 }), undefined).percent).toBe(100);
    const failed = rowView(makeJob({ state: 'failed', error_code: 'access_denied', error_message: 'Access denied' }), undefined);
    expect(failed.error).toBe('Access denied');
    expect(rowView(makeJob({ state: 'failed', error_code: 'access_denied' }), undefined).error).toBe('access_denied');
    expect(rowView(makeJob({ state: 'queued', error_message: 'old' }), undefined).error).toBeNull();
  });

  it('names the file by its last path component and the key as stored', () => {
    const view = rowView(makeJob({ path: '/data/set/x.csv', key: 'in/x.csv', bucket: 'b' }), undefined);
    expect(view.name).toBe('x.csv');
    expect(view.key).toBe('in/x.csv');
    expect(view.destination).toBe('default: b/in/x.csv');
  });
});

describe('applyJobState', () => {
  it('updates the state and error of a known job', () => {
    const state = withJobs(initialState(), [makeJob({ id: 7, state: 'running' })]);
    const { state: next, known } = applyJobState(state, { id: 7, state: 'failed', error: 'No such bucket' });
    expect(known).toBe(true);
    expect(next.jobs.get(7)!.state).toBe('failed');
    expect(next.jobs.get(7)!.error_message).toBe('No such bucket');
    // The event changes the job in its list (O(1)), not a copy of the list.
    expect(next.jobs).toBe(state.jobs);
    expect(next.jobs.countOf('running')).toBe(0);
    expect(next.jobs.countOf('failed')).toBe(1);
  });

  it('reports an unknown job so the caller reloads', () => {
    const state = withJobs(initialState(), [makeJob({ id: 1 })]);
    expect(applyJobState(state, { id: 99, state: 'running', error: null }).known).toBe(false);
  });

  it('drops live progress when a job stops running but keeps the bytes shown', () => {
    let state = withJobs(initialState(), [makeJob({ id: 3, state: 'running', bytes_done: 0, bytes_total: 100 })]);
    state = applyProgress(state, {
      jobs: [{ id: 3, bytes_done: 60, bytes_total: 100, bytes_per_sec: 5, retry_at: null }],
      online: true,
      held_for_metered: false,
    }).state;
    const next = applyJobState(state, { id: 3, state: 'paused', error: null }).state;
    expect(next.progress.has(3)).toBe(false);
    expect(next.jobs.all()[0]!.bytes_done).toBe(60);
    const done = applyJobState(state, { id: 3, state: 'completed', error: null }).state;
    expect(done.jobs.all()[0]!.bytes_done).toBe(100);
  });

  it('clears the error when a failed job is queued again', () => {
    const state = withJobs(initialState(), [makeJob({ id: 4, state: 'failed', error_message: 'boom', error_code: 'local' })]);
    const next = applyJobState(state, { id: 4, state: 'queued', error: null }).state;
    expect(next.jobs.all()[0]!.error_message).toBeNull();
    expect(next.jobs.all()[0]!.error_code).toBeNull();
  });
});

describe('withAddedJobs', () => {
  it('merges jobs that do not come after the list in id order, replacing ones it holds', () => {
    const state = withJobs(initialState(), [makeJob({ id: 2 }), makeJob({ id: 5 })]);
    const next = withAddedJobs(state, [makeJob({ id: 3, state: 'running' }), makeJob({ id: 5, state: 'completed' })]);
    expect(next.jobs.all().map((j) => [j.id, j.state])).toEqual([
      [2, 'queued'],
      [3, 'running'],
      [5, 'completed'],
    ]);
  });
});

describe('applyProgress and withJobs', () => {
  it('replaces progress with the snapshot and names running jobs it has no row for', () => {
    const state = withJobs(initialState(), [makeJob({ id: 1, state: 'running' })]);
    const { state: next, unknown } = applyProgress(state, {
      jobs: [
        { id: 1, bytes_done: 10, bytes_total: 1000, bytes_per_sec: 1, retry_at: null },
        { id: 2, bytes_done: 10, bytes_total: 1000, bytes_per_sec: 1, retry_at: null },
      ],
      online: false,
      held_for_metered: false,
    });
    expect(unknown).toEqual([2]);
    expect(next.progress.get(1)?.bytes_done).toBe(10);
    expect(next.online).toBe(false);
    expect(statusLine(next)).toBe('Waiting for network…');
  });

  it('forgets progress of jobs a reload shows as no longer running', () => {
    let state = withJobs(initialState(), [makeJob({ id: 1, state: 'running' })]);
    state = applyProgress(state, {
      jobs: [{ id: 1, bytes_done: 10, bytes_total: 1000, bytes_per_sec: 1, retry_at: null }],
      online: true,
      held_for_metered: false,
    }).state;
    const next = withJobs(state, [makeJob({ id: 1, state: 'completed' })]);
    expect(next.progress.size).toBe(0);
  });
});

describe('summary and statusLine', () => {
  it('counts jobs per state in a fixed order', () => {
    const jobs = [makeJob({ state: 'failed' }), makeJob({ state: 'queued' }), makeJob({ state: 'running' }), makeJob({ state: 'queued' })];
    expect(summary(new JobList(jobs))).toBe('1 uploading · 2 queued · 1 failed');
    expect(summary(new JobList())).toBe('');
  });

  it('says when another process drives the queue or the engine stopped', () => {
    expect(statusLine(initialState())).toBeNull();
    expect(statusLine({ ...initialState(), engine: { state: 'elsewhere' } })).toMatch(/Another Hoist process/);
    expect(statusLine({ ...initialState(), engine: { state: 'stopped', message: 'disk full' } })).toBe('Uploads stopped: disk full');
  });
});

describe('retry time', () => {
  it('says when a waiting job retries', () => {
    const job = makeJob({ id: 1, state: 'running', attempts: 2 });
    const view = rowView(job, { id: 1, bytes_done: 0, bytes_total: 1000, bytes_per_sec: 0, retry_at: 12_500 }, false, 10_000);
    expect(view.speed).toBe('retrying in 3 s');
    expect(view.attempts).toBe('attempt 2');
  });
});
