import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QueueApp } from '../src/app';
import { describeEnqueue } from '../src/queue-controller';
import { makeJob, MockIpc } from '../src/ipc/mock';
import { mountApp, settle } from './helpers';
import type { Job, QueueChanges } from '../src/ipc/types';
import { errorText } from '../src/ipc/types';

/** A `hoist://queue-changes` payload with only the given lists filled. */
function changes(some: Partial<QueueChanges>): QueueChanges {
  return { added: [], states: [], removed: [], ...some };
}

let root: HTMLElement;
let app: QueueApp | null = null;

beforeEach(() => {
  document.body.innerHTML = '<div id="app"></div>';
  root = document.getElementById('app')!;
});

afterEach(() => {
  app?.dispose();
  app = null;
});

async function mount(jobs: Job[], setup?: (ipc: MockIpc) => void): Promise<MockIpc> {
  const mounted = await mountApp(root, jobs, setup);
  app = mounted.app;
  return mounted.ipc;
}

function row(id: number): HTMLElement {
  const tr = root.querySelector<HTMLElement>(`.row[data-id="${id}"]`);
  if (!tr) throw new Error(`no row for job ${id}`);
  return tr;
}

function buttons(id: number): string[] {
  return [...row(id).querySelectorAll('.actions button')].map((b) => b.textContent ?? '');
}

function click(id: number, label: string): void {
  const button = [...row(id).querySelectorAll<HTMLButtonElement>('.actions button')].find((b) => b.textContent === label);
  if (!button) throw new Error(`row ${id} has no ${label} button`);
  button.click();
}

describe('queue window', () => {
  it('shows the header and the drop hint, and hides the table while the queue is empty', async () => {
    await mount([]);
    expect(root.querySelector('h1')?.textContent).toBe('Hoist');
    expect(root.querySelector('.drop-hint')?.textContent).toBe('Drop files or folders here');
    expect(root.querySelector<HTMLElement>('.jobs')!.hidden).toBe(true);
    expect(root.querySelector('.queue-view')!.classList.contains('empty')).toBe(true);
  });

  it('lists each job with its file name, key, state, progress and buttons', async () => {
    await mount([
      makeJob({ id: 1, path: '/tmp/a/photo.jpg', key: 'pics/photo.jpg', state: 'paused', bytes_done: 256, bytes_total: 1024 }),
      makeJob({ id: 2, path: '/tmp/b.bin', key: 'b.bin', state: 'failed', error_message: 'Access denied to bucket' }),
    ]);
    const first = row(1);
    expect(first.querySelector('.file')?.textContent).toBe('photo.jpg');
    expect(first.querySelector<HTMLElement>('.file')?.title).toBe('/tmp/a/photo.jpg');
    expect(first.querySelector('.key')?.textContent).toBe('default: bucket/pics/photo.jpg');
    expect(first.querySelector('.badge')?.textContent).toBe('Paused');
    expect(first.querySelector('progress')?.value).toBe(25);
    expect(first.querySelector<HTMLElement>('.message')?.hidden).toBe(true);
    expect(buttons(1)).toEqual(['Resume', 'Cancel']);

    expect(row(2).querySelector('.message')?.textContent).toBe('Access denied to bucket');
    expect(row(2).querySelector<HTMLElement>('.message')?.hidden).toBe(false);
    expect(buttons(2)).toEqual(['Retry', 'Cancel', 'Remove']);
    expect(root.querySelector('.summary')?.textContent).toBe('1 paused · 1 failed');
  });

  it('a failed message was cut with an ellipsis and could not be read or copied', async () => {
    const long =
      "the bucket 'photos' does not exist at https://s3.example.com: check the destination's bucket and endpoint " +
      '(404 NoSuchBucket: The specified bucket does not exist) — '.repeat(3);
    const ipc = await mount([
      makeJob({ id: 3, path: '/tmp/lost.jpg', key: 'lost.jpg', state: 'failed', error_code: 'no_such_bucket', error_message: long }),
      makeJob({ id: 4, path: '/tmp/fine.jpg', key: 'fine.jpg', state: 'queued' }),
    ]);
    expect(row(3).querySelector<HTMLElement>('.message')!.title).toBe(long);
    expect(row(4).querySelector<HTMLButtonElement>('.show-detail')!.hidden).toBe(true);
    const pane = root.querySelector<HTMLElement>('.job-detail')!;
    expect(pane.hidden).toBe(true);
    row(3).querySelector<HTMLButtonElement>('.show-detail')!.click();
    expect(pane.hidden).toBe(false);
    expect(pane.querySelector('.job-detail-message')!.textContent).toBe(long);
    expect(pane.textContent).toContain('no_such_bucket');
    expect(pane.textContent).toContain('/tmp/lost.jpg');
    pane.querySelector<HTMLButtonElement>('.copy-message')!.click();
    await settle();
    expect(ipc.clipboard).toBe(long);
    expect(pane.querySelector('.job-detail-copied')!.textContent).toBe('Copied');
    pane.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }));
    expect(pane.hidden).toBe(true);
  });

  it('a finished download says how it was verified, and a size-only one says so on its row', async () => {
    await mount([
      makeJob({
        id: 6,
        path: '/tmp/big.bin',
        key: 'big.bin',
        state: 'completed',
        direction: 'download',
        outcome: 'downloaded',
        verified: 'multipart-etag+crc32c',
      }),
      makeJob({ id: 7, path: '/tmp/kms.bin', key: 'kms.bin', state: 'completed', direction: 'download', outcome: 'downloaded', verified: 'size-only' }),
    ]);
    expect(row(6).querySelector<HTMLElement>('.message')!.hidden).toBe(true);
    expect(row(7).querySelector('.message')!.textContent).toContain('size only');
    const pane = root.querySelector<HTMLElement>('.job-detail')!;
    row(6).querySelector<HTMLButtonElement>('.show-detail')!.click();
    expect(pane.hidden).toBe(false);
    expect(pane.querySelector('.job-detail-facts')!.textContent).toContain('Verifiedmultipart ETag (MD5 of each part) and CRC32C');
    row(7).querySelector<HTMLButtonElement>('.show-detail')!.click();
    expect(pane.querySelector('.job-detail-facts')!.textContent).toContain('size only');
  });

  it('pauses a job through the IPC and re-renders the row from the reloaded list', async () => {
    const ipc = await mount([makeJob({ id: 5, state: 'queued' })]);
    click(5, 'Pause');
    // The row is busy until the command and the reload are done.
    expect(row(5).querySelector<HTMLButtonElement>('.actions button')?.disabled).toBe(true);
    await app!.whenIdle();
    await settle();
    expect(ipc.calls.find((c) => c.command === 'pauseJobs')?.args).toEqual([[5]]);
    expect(row(5).dataset['state']).toBe('paused');
    expect(buttons(5)).toEqual(['Resume', 'Cancel']);
    expect(row(5).querySelector<HTMLButtonElement>('.actions button')?.disabled).toBe(false);

    click(5, 'Resume');
    await settle();
    expect(ipc.count('resumeJobs')).toBe(1);
    expect(row(5).dataset['state']).toBe('queued');
  });

  it('retries a failed job and cancels a queued one', async () => {
    const ipc = await mount([makeJob({ id: 1, state: 'failed', error_message: 'x' }), makeJob({ id: 2 })]);
    click(1, 'Retry');
    click(2, 'Cancel');
    await settle();
    await app!.whenIdle();
    expect(ipc.count('retryJobs')).toBe(1);
    expect(ipc.count('cancelJobs')).toBe(1);
    expect(row(1).dataset['state']).toBe('queued');
    expect(row(1).querySelector<HTMLElement>('.message')?.hidden).toBe(true);
    expect(row(2).dataset['state']).toBe('cancelled');
    expect(buttons(2)).toEqual(['Retry', 'Remove']);
  });

  it("a refused upload said what was wrong but not the core's hint of what to do", async () => {
    await mount([], (m) =>
      m.failNext('addFromPicker', {
        code: 'access_denied',
        message: "the keys of 'r2' were refused",
        hint: "Enter new keys for 'r2': Destinations, Edit.",
      }),
    );
    root.querySelector<HTMLButtonElement>('.bulk-add-files')!.click();
    await settle();
    const notice = root.querySelector<HTMLElement>('.notice')!;
    expect(notice.textContent).toContain("the keys of 'r2' were refused. Enter new keys for 'r2': Destinations, Edit.");
  });

  it('shows the message of a command that failed', async () => {
    const ipc = await mount([makeJob({ id: 1 })], (m) => m.failNext('pauseJobs', { code: 'database', message: 'database is locked' }));
    click(1, 'Pause');
    await settle();
    const notice = root.querySelector<HTMLElement>('.notice')!;
    expect(notice.hidden).toBe(false);
    expect(notice.dataset['kind']).toBe('error');
    expect(notice.textContent).toContain('database is locked');
    expect(ipc.jobs[0]!.state).toBe('queued');
    expect(row(1).dataset['state']).toBe('queued');
  });

  it('moves the progress bar on progress events without reloading the list', async () => {
    const ipc = await mount([makeJob({ id: 9, state: 'running', bytes_done: 0, bytes_total: 2048 })]);
    const before = ipc.count('listJobs');
    const bar = row(9).querySelector('progress')!;
    ipc.emit('hoist://progress', {
      jobs: [{ id: 9, bytes_done: 1536, bytes_total: 2048, bytes_per_sec: 512, retry_at: null }],
      online: true,
      held_for_metered: false,
    });
    expect(row(9).querySelector('progress')).toBe(bar);
    expect(bar.value).toBe(75);
    expect(row(9).querySelector('.detail')?.textContent).toBe('1.5 KiB of 2.0 KiB');
    expect(row(9).querySelector('.speed')?.textContent).toBe('512 B/s · 1 s left');
    await settle();
    expect(ipc.count('listJobs')).toBe(before);
  });

  it('applies state changes in place, fetches added jobs by id and reloads once for a burst of unknown jobs', async () => {
    const ipc = await mount([makeJob({ id: 1, state: 'running' })]);
    ipc.emit('hoist://queue-changes', changes({ states: [{ id: 1, state: 'failed', error: 'Bucket does not exist' }] }));
    expect(row(1).querySelector('.message')?.textContent).toBe('Bucket does not exist');
    expect(buttons(1)).toEqual(['Retry', 'Cancel', 'Remove']);

    // Added jobs are fetched by id, not by reloading the list; their state changes in the same
    // message are already in what the fetch gets.
    const before = ipc.count('listJobs');
    ipc.jobs.push(makeJob({ id: 2, state: 'running' }), makeJob({ id: 3, state: 'running' }));
    ipc.emit(
      'hoist://queue-changes',
      changes({
        added: [2, 3],
        states: [
          { id: 2, state: 'running', error: null },
          { id: 3, state: 'running', error: null },
        ],
      }),
    );
    await app!.whenIdle();
    expect(ipc.count('listJobs')).toBe(before);
    expect(ipc.count('jobsById')).toBe(1);
    expect(root.querySelectorAll('.row').length).toBe(3);
    expect(row(3).dataset['state']).toBe('running');

    // A change to a job nobody said was added (another process queued it) reloads once.
    ipc.jobs.push(makeJob({ id: 4 }), makeJob({ id: 5 }));
    ipc.emit('hoist://queue-changes', changes({ states: [{ id: 4, state: 'running', error: null }] }));
    ipc.emit('hoist://queue-changes', changes({ states: [{ id: 5, state: 'running', error: null }] }));
    await app!.whenIdle();
    expect(ipc.count('listJobs')).toBe(before + 1);
    expect(root.querySelectorAll('.row').length).toBe(5);
  });

  it('a job that finished while it was being fetched showed the state the fetch read, not its last one', async () => {
    const ipc = await mount([]);
    ipc.jobs.push(makeJob({ id: 2, state: 'running' }));
    // The mock answers jobsById when it is called, so the fetch holds 'running'; the completion
    // comes in the next message, before the answer is applied.
    ipc.emit('hoist://queue-changes', changes({ added: [2] }));
    ipc.jobs[0]!.state = 'completed';
    ipc.emit('hoist://queue-changes', changes({ states: [{ id: 2, state: 'completed', error: null }] }));
    await app!.whenIdle();
    expect(row(2).dataset['state']).toBe('completed');
  });

  it('drops the rows of jobs the core took off the queue without reloading the list', async () => {
    const ipc = await mount([makeJob({ id: 1, state: 'completed' }), makeJob({ id: 2, state: 'completed' }), makeJob({ id: 3 })]);
    const before = ipc.count('listJobs');
    ipc.emit('hoist://queue-changes', changes({ removed: [1, 2] }));
    expect([...root.querySelectorAll<HTMLElement>('.row')].map((r) => r.dataset['id'])).toEqual(['3']);
    expect(root.querySelector('.summary')?.textContent).toBe('1 queued');
    await app!.whenIdle();
    expect(ipc.count('listJobs')).toBe(before);
  });

  it('shows errors and enqueue reports sent by the shell, and dismisses them', async () => {
    const ipc = await mount([]);
    ipc.emit('hoist://error', { code: 'not_found', message: 'No destination is configured' });
    const notice = root.querySelector<HTMLElement>('.notice')!;
    expect(notice.textContent).toContain('No destination is configured');
    root.querySelector<HTMLButtonElement>('.notice-dismiss')!.click();
    expect(notice.hidden).toBe(true);

    ipc.emit('hoist://enqueued', { batch: 'b', jobs: [1, 2], bytes: 10, skipped: [] });
    expect(notice.hidden).toBe(false);
    expect(notice.dataset['kind']).toBe('info');
    expect(notice.textContent).toContain('Added 2 files');
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(notice.hidden).toBe(true);
  });

  it('highlights the drop hint while files hover over the window', async () => {
    const ipc = await mount([]);
    ipc.emit('hoist://drop-hover', { active: true });
    expect(root.querySelector('.queue-view')!.classList.contains('dropping')).toBe(true);
    ipc.emit('hoist://drop-hover', { active: false });
    expect(root.querySelector('.queue-view')!.classList.contains('dropping')).toBe(false);
  });

  it('says in the header that a metered connection holds transfers, from the start and until it no longer does', async () => {
    const ipc = await mount([makeJob({ id: 2, state: 'queued' })], (m) => (m.heldForMetered = true));
    const status = root.querySelector<HTMLElement>('.status')!;
    expect(status.hidden).toBe(false);
    expect(status.textContent).toMatch(/^Paused on a metered connection/);
    ipc.emit('hoist://metered-hold', { held: false });
    expect(status.hidden).toBe(true);
    ipc.emit('hoist://metered-hold', { held: true });
    expect(status.textContent).toMatch(/metered/);
  });

  it('polls the list while another process drives the queue, and stops when this one does', async () => {
    const ipc = await mount([], (m) => (m.engine = { state: 'elsewhere' }));
    expect(root.querySelector('.status')?.textContent).toMatch(/Another Hoist process/);
    ipc.jobs.push(makeJob({ id: 4, state: 'running' }));
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(root.querySelectorAll('.row').length).toBe(1);

    ipc.emit('hoist://engine', { state: 'driving' });
    expect(root.querySelector<HTMLElement>('.status')?.hidden).toBe(true);
    await app!.whenIdle();
    const count = ipc.count('listJobs');
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(ipc.count('listJobs')).toBe(count);
  });

  it('keeps row elements when the list reorders, and removes rows of vanished jobs', async () => {
    const ipc = await mount([makeJob({ id: 1 }), makeJob({ id: 2 }), makeJob({ id: 3 })]);
    const two = row(2);
    ipc.jobs = [ipc.jobs[2]!, ipc.jobs[1]!];
    await app!.reload();
    const byPosition = [...root.querySelectorAll<HTMLElement>('.row')].sort((a, b) => Number(a.dataset['index']) - Number(b.dataset['index']));
    expect(byPosition.map((r) => r.dataset['id'])).toEqual(['3', '2']);
    expect(row(2)).toBe(two);
  });

  it('unsubscribes every listener on dispose', async () => {
    const ipc = await mount([]);
    expect(ipc.listenerCount('hoist://progress')).toBe(1);
    app!.dispose();
    expect(ipc.listenerCount('hoist://progress')).toBe(0);
    expect(ipc.listenerCount('hoist://queue-changes')).toBe(0);
  });
});

describe('errorText', () => {
  it('a message that ended in a period gave two before the hint', () => {
    expect(errorText({ code: 'invalid_input', message: 'No bucket given.', hint: 'Fill in the bucket field.' })).toBe(
      'No bucket given. Fill in the bucket field.',
    );
    expect(errorText({ code: 'internal', message: 'boom' })).toBe('boom');
  });
});

describe('describeEnqueue', () => {
  it('says what was added and why something was skipped', () => {
    expect(describeEnqueue({ batch: 'b', jobs: [1], bytes: 5, skipped: [] })).toBe('Added 1 file to the queue');
    expect(describeEnqueue({ batch: 'b', jobs: [], bytes: 0, skipped: [{ path: '/dev/null', reason: 'not a regular file' }] })).toBe(
      'Nothing was added; skipped 1 file (/dev/null: not a regular file)',
    );
  });
});

describe('the last view', () => {
  it('opens on the view kept last time, keeps each one shown after, and ignores a name it does not know', async () => {
    const ipc = await mount([], (ipc) => (ipc.view = 'watches'));
    expect(app!.tab).toBe('watches');
    expect(root.querySelector('.tab-watches')?.getAttribute('aria-selected')).toBe('true');
    app!.showTab('browse');
    await settle();
    expect(ipc.view).toBe('browse');
    app!.dispose();
    await mount([], (ipc) => (ipc.view = 'nonsense'));
    expect(app!.tab).toBe('queue');
  });
});
