import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QueueApp } from '../src/app';
import { fieldsFor } from '../src/destinations';
import { makeJob, makeDestination, MockIpc } from '../src/ipc/mock';
import { mountApp, settle } from './helpers';
import type { Job, JobState } from '../src/ipc/types';
import { settingsFrom } from '../src/settings';
import { formatEta, initialState, totals, totalsLine, withJobs } from '../src/state';
import { ROW_HEIGHT } from '../src/view';

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

const q = <T extends Element = HTMLElement>(selector: string) => root.querySelector<T>(selector)!;

function manyJobs(n: number): Job[] {
  const states: JobState[] = ['queued', 'running', 'completed', 'failed'];
  return Array.from({ length: n }, (_, i) => makeJob({ id: i + 1, path: `/data/f${i + 1}.bin`, state: states[i % 4]! }));
}

describe('the virtualized queue', () => {
  it('keeps the DOM small with 100,000 jobs and draws the rows scrolled to', async () => {
    await mount(manyJobs(100_000));
    const list = q('.jobs');
    expect(root.querySelectorAll('.row').length).toBeLessThan(40);
    expect(q('.jobs-spacer').style.height).toBe(`${100_000 * ROW_HEIGHT}px`);
    list.scrollTop = 50_000 * ROW_HEIGHT;
    list.dispatchEvent(new Event('scroll'));
    const ids = [...root.querySelectorAll<HTMLElement>('.row')].map((r) => Number(r.dataset['id']));
    expect(ids).toContain(50_001);
    expect(Math.min(...ids)).toBeGreaterThan(49_000);
    expect(root.querySelectorAll('.row').length).toBeLessThan(40);
  });

  it('filters by state and shows totals', async () => {
    await mount(manyJobs(8));
    const filter = q<HTMLSelectElement>('select.filter');
    filter.value = 'failed';
    filter.dispatchEvent(new Event('change'));
    const states = [...root.querySelectorAll<HTMLElement>('.row')].map((r) => r.dataset['state']);
    expect(states).toEqual(['failed', 'failed']);
    expect(q('.totals').textContent).toMatch(/^8 files · /);
  });

  it('moves between rows with the arrow keys and removes a finished one with Delete', async () => {
    const ipc = await mount(manyJobs(4));
    const first = q('.row[data-id="1"]');
    first.focus();
    first.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', bubbles: true }));
    expect(document.activeElement).toBe(q('.row[data-id="2"]'));
    q('.row[data-id="3"]').dispatchEvent(new KeyboardEvent('keydown', { key: 'Delete', bubbles: true }));
    await settle();
    await app!.whenIdle();
    expect(ipc.count('removeJobs')).toBe(1);
    expect(root.querySelector('.row[data-id="3"]')).toBeNull();
  });
});

describe('the toolbar', () => {
  it('pauses and resumes all, clears finished jobs, and removes one', async () => {
    const ipc = await mount([makeJob({ id: 1 }), makeJob({ id: 2, state: 'completed' }), makeJob({ id: 3, state: 'failed' })]);
    q<HTMLButtonElement>('[data-bulk="pause-all"]').click();
    await settle();
    await app!.whenIdle();
    expect(ipc.count('pauseAll')).toBe(1);
    expect(q('.row[data-id="1"]').dataset['state']).toBe('paused');
    q<HTMLButtonElement>('[data-bulk="resume-all"]').click();
    await settle();
    await app!.whenIdle();
    expect(q('.row[data-id="1"]').dataset['state']).toBe('queued');
    q<HTMLButtonElement>('[data-bulk="clear-finished"]').click();
    await settle();
    await app!.whenIdle();
    expect(root.querySelector('.row[data-id="2"]')).toBeNull();
    q<HTMLButtonElement>('.row[data-id="3"] [data-action="remove"]').click();
    await settle();
    await app!.whenIdle();
    expect(root.querySelector('.row[data-id="3"]')).toBeNull();
  });

  it('adds picked files to the chosen destination and prefix', async () => {
    const ipc = await mount([], (m) => {
      m.destinations.push(makeDestination({ name: 'photos' }));
      m.chosen = ['/home/me/a.jpg', '/home/me/b.jpg'];
    });
    const destination = q<HTMLSelectElement>('select.destination-select');
    expect([...destination.options].map((o) => o.value)).toEqual(['', 'local', 'photos']);
    destination.value = 'photos';
    q<HTMLInputElement>('input.prefix').value = '2026/';
    q<HTMLButtonElement>('[data-bulk="add-files"]').click();
    await settle();
    await app!.whenIdle();
    // Only the destination and prefix cross the IPC: Rust opens the picker and queues its choice.
    const call = ipc.calls.find((c) => c.command === 'addFromPicker')!;
    expect(call.args).toEqual([false, 'photos', '2026/']);
    expect(JSON.stringify(ipc.calls)).not.toContain('/home/me/a.jpg');
    expect(root.querySelectorAll('.row').length).toBe(2);
    expect(q('.notice-text').textContent).toBe('Added 2 files to the queue');
  });

  it('does nothing when the picker is cancelled', async () => {
    const ipc = await mount([]);
    q<HTMLButtonElement>('[data-bulk="add-folder"]').click();
    await settle();
    expect(ipc.calls.find((c) => c.command === 'addFromPicker')!.args).toEqual([true, undefined, undefined]);
    expect(root.querySelector('.notice-text')?.textContent ?? '').toBe('');
  });
});

describe('destinations', () => {
  it('shows the fields a provider needs', () => {
    expect(fieldsFor('s3', 'r2').has('account_id')).toBe(true);
    expect(fieldsFor('s3', 'r2').has('endpoint')).toBe(false);
    expect(fieldsFor('s3', 'aws').has('region')).toBe(true);
    expect(fieldsFor('s3', 'minio').has('endpoint')).toBe(true);
    expect(fieldsFor('local', '').has('bucket')).toBe(false);
  });

  it('adds through the form, sends the secret once, and never shows it', async () => {
    const ipc = await mount([]);
    q<HTMLButtonElement>('.tab-destinations').click();
    await settle();
    const form = q<HTMLFormElement>('.destination-form');
    const set = (name: string, value: string) => {
      const input = form.querySelector<HTMLInputElement | HTMLSelectElement>(`[name="${name}"]`)!;
      input.value = value;
      input.dispatchEvent(new Event('change'));
    };
    set('name', 'cf');
    set('provider', 'r2');
    expect(form.querySelector<HTMLElement>('label[data-field="account_id"]')!.hidden).toBe(false);
    expect(form.querySelector<HTMLElement>('label[data-field="endpoint"]')!.hidden).toBe(true);
    set('bucket', 'photos');
    form.requestSubmit();
    await settle();
    expect(q('.destinations-view > .form-message').textContent).toBe('Enter your Cloudflare account id.');
    set('account_id', 'abc123');
    set('access_key_id', 'AKID');
    set('secret_access_key', 's3cr3t-value');
    form.requestSubmit();
    await settle();
    const added = ipc.calls.find((c) => c.command === 'addDestination')!.args[0] as Record<string, unknown>;
    expect(added).toMatchObject({ name: 'cf', kind: 's3', provider: 'r2', account_id: 'abc123', bucket: 'photos' });
    expect(ipc.secrets.get('cf')).toBe('s3cr3t-value');
    expect(form.querySelector<HTMLInputElement>('[name="secret_access_key"]')!.value).toBe('');
    expect(root.innerHTML).not.toContain('s3cr3t-value');
    expect([...root.querySelectorAll<HTMLElement>('.destination')].map((d) => d.dataset['name'])).toEqual(['local', 'cf']);
    q<HTMLButtonElement>('.destination[data-name="cf"] .edit').click();
    const secret = form.querySelector<HTMLInputElement>('[name="secret_access_key"]')!;
    expect(secret.value).toBe('');
    expect(secret.placeholder).toBe('unchanged (type to replace)');
    expect(secret.type).toBe('password');
  });

  it('renaming an R2 destination sent an empty endpoint that pointed it at AWS', async () => {
    const ipc = await mount([], (m) => {
      m.destinations.push(makeDestination({ name: 'cf', provider: 'r2', endpoint: 'https://abc.r2.cloudflarestorage.com', region: 'auto', bucket: 'photos' }));
    });
    q<HTMLButtonElement>('.tab-destinations').click();
    await settle();
    q<HTMLButtonElement>('.destination[data-name="cf"] .edit').click();
    const form = q<HTMLFormElement>('.destination-form');
    expect(form.querySelector<HTMLElement>('label[data-field="endpoint"]')!.hidden).toBe(true);
    form.querySelector<HTMLInputElement>('[name="name"]')!.value = 'cloudflare';
    form.requestSubmit();
    await settle();
    const edit = ipc.calls.find((c) => c.command === 'editDestination')!.args[1] as Record<string, unknown>;
    // Only what changed is sent; hidden preset fields keep their values.
    expect(edit).toEqual({ rename: 'cloudflare' });
    expect(ipc.destinations.find((p) => p.name === 'cloudflare')!.endpoint).toBe('https://abc.r2.cloudflarestorage.com');
  });

  it("takes a folder destination's folder from the system picker, never from the form", async () => {
    const ipc = await mount([], (m) => {
      m.chosenFolder = '/mnt/nas/backup';
    });
    q<HTMLButtonElement>('.tab-destinations').click();
    await settle();
    const form = q<HTMLFormElement>('.destination-form');
    const kind = form.querySelector<HTMLSelectElement>('[name="kind"]')!;
    kind.value = 'local';
    kind.dispatchEvent(new Event('change'));
    form.querySelector<HTMLInputElement>('[name="name"]')!.value = 'nas';
    form.requestSubmit();
    await settle();
    expect(q('.destinations-view > .form-message').textContent).toBe('Choose the folder to upload into.');
    expect(form.querySelector<HTMLInputElement>('[name="folder"]')!.readOnly).toBe(true);
    form.querySelector<HTMLButtonElement>('.choose-folder')!.click();
    await settle();
    expect(form.querySelector<HTMLInputElement>('[name="folder"]')!.value).toBe('/mnt/nas/backup');
    form.requestSubmit();
    await settle();
    const added = ipc.calls.find((c) => c.command === 'addDestination')!.args[0] as Record<string, unknown>;
    expect(added).toEqual({ name: 'nas', kind: 'local', prefix: '' });
    expect(ipc.destinations.find((p) => p.name === 'nas')!.folder).toBe('/mnt/nas/backup');
  });

  it('shows what the connection test found', async () => {
    await mount([], (m) => {
      m.connectionReport = {
        destination: 'local',
        capabilities: null,
        steps: [
          { name: 'DNS', outcome: 'ok', detail: 'fine', blocking: true, error: null },
          { name: 'credentials and bucket', outcome: 'failed', detail: 'the secret key does not match', blocking: true, error: 'bad_credentials' },
        ],
      };
    });
    q<HTMLButtonElement>('.tab-destinations').click();
    await settle();
    q<HTMLButtonElement>('.destination[data-name="local"] .test').click();
    await settle();
    expect(q('.connection-test h3').textContent).toBe('local: does not work yet');
    const steps = [...root.querySelectorAll('.connection-step')].map((s) => s.textContent);
    expect(steps).toEqual(['✓DNSfine', '✗credentials and bucketthe secret key does not match']);
  });
});

describe('settings', () => {
  it('turns the form into settings, naming a bad field', () => {
    const base = {
      concurrency: '3',
      part_size: '16',
      bandwidth_limit: '',
      download_limit: '',
      notifications: true,
      close_to_tray: false,
      autostart: false,
      start_minimized: false,
      follow_links: true,
      pause_on_metered: true,
    };
    expect(settingsFrom(base)).toEqual({
      concurrency: 3,
      part_size: 16 * 1024 * 1024,
      bandwidth_limit: null,
      download_limit: null,
      notifications: true,
      close_to_tray: false,
      start_minimized: false,
      follow_links: true,
      pause_on_metered: true,
    });
    expect(settingsFrom({ ...base, bandwidth_limit: '2.5' })).toMatchObject({ bandwidth_limit: 2.5 * 1024 * 1024, download_limit: null });
    expect(settingsFrom({ ...base, download_limit: '8' })).toMatchObject({ bandwidth_limit: null, download_limit: 8 * 1024 * 1024 });
    expect(settingsFrom({ ...base, part_size: '1' })).toBe('Part size must be between 5 and 5120 MiB.');
    expect(settingsFrom({ ...base, concurrency: '0' })).toMatch(/Transfers at once/);
    expect(settingsFrom({ ...base, bandwidth_limit: 'fast' })).toMatch(/Upload limit/);
    expect(settingsFrom({ ...base, download_limit: '-1' })).toMatch(/Download limit/);
  });

  it('loads, refuses a bad value without saving, and saves a good one', async () => {
    const ipc = await mount([]);
    root.dispatchEvent(new KeyboardEvent('keydown', { key: '5', altKey: true }));
    await settle();
    expect(app!.tab).toBe('settings');
    const field = (name: string) => q<HTMLInputElement>(`.settings-form [name="${name}"]`);
    expect(field('concurrency').value).toBe('3');
    expect(field('part_size').value).toBe('8');
    field('part_size').value = '2';
    q<HTMLFormElement>('.settings-form').requestSubmit();
    await settle();
    expect(ipc.count('setSettings')).toBe(0);
    expect(q('.settings-view .form-message').textContent).toMatch(/Part size/);
    field('part_size').value = '32';
    field('bandwidth_limit').value = '4';
    field('download_limit').value = '16';
    field('notifications').checked = false;
    expect(field('pause_on_metered').checked).toBe(false);
    field('pause_on_metered').checked = true;
    expect(field('autostart').checked).toBe(false);
    field('autostart').checked = true;
    q<HTMLFormElement>('.settings-form').requestSubmit();
    await settle();
    expect(ipc.autostart).toBe(true);
    expect(field('autostart').checked).toBe(true);
    expect(ipc.settings).toMatchObject({
      part_size: 32 * 1024 * 1024,
      bandwidth_limit: 4 * 1024 * 1024,
      download_limit: 16 * 1024 * 1024,
      notifications: false,
      pause_on_metered: true,
    });
  });
});

describe('totals and ETA', () => {
  it('adds live progress and rates', () => {
    const state = withJobs(initialState(), [
      makeJob({ id: 1, state: 'running', bytes_total: 1000, bytes_done: 0 }),
      makeJob({ id: 2, state: 'completed', bytes_total: 500, bytes_done: 0 }),
    ]);
    const live = { ...state, progress: new Map([[1, { id: 1, bytes_done: 250, bytes_total: 1000, bytes_per_sec: 2048, retry_at: null }]]) };
    expect(totals(live)).toEqual({ files: 2, bytes: 1500, bytesDone: 750, rate: 2048 });
    expect(totalsLine(totals(live))).toBe('2 files · 750 B of 1.5 KiB · 2.0 KiB/s');
    expect(formatEta(30)).toBe('30 s left');
    expect(formatEta(600)).toBe('10 min left');
    expect(formatEta(7500)).toBe('2 h 5 min left');
  });
});

describe('drops', () => {
  it('tell the shell where dropped files go when the toolbar choice changes', async () => {
    const ipc = await mount([], (m) => m.destinations.push(makeDestination({ name: 'photos' })));
    const destination = q<HTMLSelectElement>('select.destination-select');
    destination.value = 'photos';
    destination.dispatchEvent(new Event('change'));
    const prefix = q<HTMLInputElement>('input.prefix');
    prefix.value = 'trip/';
    prefix.dispatchEvent(new Event('change'));
    const calls = ipc.calls.filter((c) => c.command === 'setDropTarget').map((c) => c.args);
    expect(calls).toEqual([
      ['photos', undefined],
      ['photos', 'trip/'],
    ]);
  });
});

describe('keyboard and screen readers', () => {
  it('makes the tabs one tab stop moved by the arrow keys, each controlling its view', async () => {
    const { app } = await mountApp(document.getElementById('app')!, []);
    const tabs = [...document.querySelectorAll<HTMLElement>('[role="tab"]')];
    expect(tabs.map((t) => t.tabIndex)).toEqual([0, -1, -1, -1, -1]);
    tabs[0]!.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));
    expect(app.tab).toBe('browse');
    expect(document.activeElement).toBe(tabs[1]);
    expect(tabs.map((t) => t.tabIndex)).toEqual([-1, 0, -1, -1, -1]);
    tabs[1]!.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowLeft', bubbles: true }));
    tabs[0]!.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowLeft', bubbles: true }));
    expect(app.tab).toBe('settings');
    const panel = document.getElementById(tabs[4]!.getAttribute('aria-controls')!)!;
    expect([panel.getAttribute('role'), panel.hidden]).toEqual(['tabpanel', false]);
    app.dispose();
  });

  it('makes the queue one tab stop, names each progress bar, and lets Tab reach only the focused row’s buttons', async () => {
    const jobs = [makeJob({ key: 'a.bin', path: '/x/a.bin', state: 'failed' }), makeJob({ key: 'b.bin', path: '/x/b.bin', state: 'failed' })];
    const { app } = await mountApp(document.getElementById('app')!, jobs);
    const list = document.querySelector<HTMLElement>('.jobs')!;
    const rows = [...list.querySelectorAll<HTMLElement>('.row')];
    expect(list.tabIndex).toBe(0);
    expect(rows.every((r) => r.tabIndex === -1)).toBe(true);
    expect(rows[0]!.querySelector('progress')!.getAttribute('aria-label')).toBe('Progress of a.bin');
    const tabStops = () => [...list.querySelectorAll<HTMLButtonElement>('button')].filter((b) => b.tabIndex >= 0 && !b.hidden).length;
    expect(tabStops()).toBe(0);
    list.focus();
    list.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', bubbles: true }));
    expect(document.activeElement).toBe(rows[0]);
    // Its actions and its Details button: 3 actions for a failed job, and Details.
    expect(tabStops()).toBe([...rows[0]!.querySelectorAll<HTMLButtonElement>('button')].filter((b) => !b.hidden).length);
    expect(tabStops()).toBeGreaterThan(2);
    app.dispose();
  });
});

describe('removing a destination', () => {
  it('asks first, and Keep leaves it', async () => {
    const { app, ipc } = await mountApp(document.getElementById('app')!, [], (ipc) => {
      ipc.destinations.push(makeDestination({ name: 'r2', bucket: 'b' }));
    });
    app.showTab('destinations');
    await settle();
    const row = () => document.querySelector<HTMLElement>('.destination[data-name="r2"]')!;
    row().querySelector<HTMLButtonElement>('.remove')!.click();
    expect(row().querySelector('.confirm-question')?.textContent).toContain('Remove r2?');
    expect(ipc.count('removeDestination')).toBe(0);
    row().querySelector<HTMLButtonElement>('.confirm-no')!.click();
    expect(row().querySelector('.confirm-delete')).toBeNull();
    row().querySelector<HTMLButtonElement>('.remove')!.click();
    row().querySelector<HTMLButtonElement>('.confirm-yes')!.click();
    await settle();
    expect(ipc.count('removeDestination')).toBe(1);
    expect(document.querySelector('.destination[data-name="r2"]')).toBeNull();
    app.dispose();
  });
});

describe("a destination's upload options", () => {
  it('are shown for an edit and sent only when changed', async () => {
    const { app, ipc } = await mountApp(document.getElementById('app')!, [], (ipc) => {
      ipc.destinations.push(
        makeDestination({
          name: 'r2',
          bucket: 'b',
          options: { key_template: null, detect_content_type: true, acl: null, storage_class: null, cache_control: 'max-age=60', if_exists: 'skip' },
        }),
      );
    });
    app.showTab('destinations');
    await settle();
    const field = <T extends HTMLElement>(name: string) => document.querySelector<T>(`.destination-form .upload-options [name="${name}"]`)!;
    const edit = () => document.querySelector<HTMLButtonElement>('.destination[data-name="r2"] .edit')!.click();
    const save = async () => {
      document.querySelector<HTMLFormElement>('.destination-form')!.requestSubmit();
      await settle();
    };
    edit();
    expect(field<HTMLInputElement>('cache_control').value).toBe('max-age=60');
    expect(field<HTMLSelectElement>('if_exists').value).toBe('skip');
    await save();
    expect((ipc.calls.find((c) => c.command === 'editDestination')!.args[1] as { options?: unknown }).options).toBeUndefined();
    edit();
    field<HTMLInputElement>('key_template').value = '{prefix}{date}/{name}';
    field<HTMLInputElement>('storage_class').value = ' STANDARD_IA ';
    await save();
    const sent = ipc.calls.filter((c) => c.command === 'editDestination')[1]!.args[1] as { options?: unknown };
    expect(sent.options).toEqual({
      key_template: '{prefix}{date}/{name}',
      detect_content_type: true,
      acl: null,
      storage_class: 'STANDARD_IA',
      cache_control: 'max-age=60',
      if_exists: 'skip',
    });
    app.dispose();
  });
});

describe('selecting jobs', () => {
  it('selects with click, Shift-click and Ctrl-click, and acts on the selected jobs the action applies to', async () => {
    const jobs = [
      makeJob({ key: 'a', state: 'queued' }),
      makeJob({ key: 'b', state: 'failed' }),
      makeJob({ key: 'c', state: 'running' }),
      makeJob({ key: 'd', state: 'completed' }),
    ];
    const { app, ipc } = await mountApp(document.getElementById('app')!, jobs);
    const ids = ipc.jobs.map((j) => j.id);
    const row = (i: number) => document.querySelector<HTMLElement>(`.row[data-id="${ids[i]}"]`)!;
    const click = (i: number, init: MouseEventInit = {}) =>
      row(i)
        .querySelector<HTMLElement>('.file')!
        .dispatchEvent(new MouseEvent('click', { bubbles: true, ...init }));
    const bar = () => document.querySelector<HTMLElement>('.selection-bar')!;
    expect(bar().hidden).toBe(true);
    click(0);
    click(2, { shiftKey: true });
    expect(document.querySelectorAll('.row.selected').length).toBe(3);
    expect(bar().querySelector('.selection-count')!.textContent).toBe('3 selected');
    click(1, { ctrlKey: true });
    expect(document.querySelectorAll('.row.selected').length).toBe(2);
    bar().querySelector<HTMLButtonElement>('.selected-pause')!.click();
    await settle();
    // Only the jobs Pause applies to (queued and running) were sent, in one call.
    const pause = ipc.calls.filter((c) => c.command === 'pauseJobs');
    expect(pause.map((c) => c.args[0])).toEqual([[ids[0], ids[2]]]);
    expect(bar().querySelector<HTMLButtonElement>('.selected-remove')!.disabled).toBe(true);
    click(3, { ctrlKey: true });
    click(1, { ctrlKey: true });
    bar().querySelector<HTMLButtonElement>('.selected-retry')!.click();
    await settle();
    expect(ipc.calls.filter((c) => c.command === 'retryJobs').map((c) => c.args[0])).toEqual([[ids[1]]]);
    document.querySelector<HTMLButtonElement>('.selected-clear')!.click();
    expect(bar().hidden).toBe(true);
    app.dispose();
  });
});
