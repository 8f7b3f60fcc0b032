import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { QueueApp } from '../src/app';
import { makeDestination, makeJob, makeWatch, MOCK_IGNORES, MockIpc } from '../src/ipc/mock';
import { describeCounts, describeState, formatAgo, watchEditFrom, watchFormFrom } from '../src/watches';
import { mountApp, settle } from './helpers';

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

async function mountWatches(setup?: (ipc: MockIpc) => void): Promise<MockIpc> {
  const mounted = await mountApp(root, [], setup);
  app = mounted.app;
  root.dispatchEvent(new KeyboardEvent('keydown', { key: '3', altKey: true }));
  await settle();
  expect(app.tab).toBe('watches');
  return mounted.ipc;
}

const q = <T extends Element = HTMLElement>(selector: string) => root.querySelector<T>(selector)!;
const items = () => [...root.querySelectorAll<HTMLElement>('.watch-list .watch')];
const click = async (selector: string) => {
  q<HTMLButtonElement>(selector).click();
  await settle();
};

describe('watch texts', () => {
  it('say the state with the engine note, the counts and the last activity', () => {
    const now = 1_780_000_000_000;
    expect(describeState(makeWatch({ state: 'polling', note: 'a network mount (nfs)' }))).toBe('Checking every few seconds: a network mount (nfs)');
    expect(describeState(makeWatch({ state: 'error', note: 'cannot open /mnt/scans: gone' }))).toBe('Problem: cannot open /mnt/scans: gone');
    expect(describeCounts(makeWatch({ uploaded: 12, pending: 3, active_at: now / 1000 - 300 }), now)).toBe('12 uploaded · 3 pending · last activity 5 min ago');
    expect(describeCounts(makeWatch(), now)).toBe('0 uploaded · 0 pending · nothing uploaded yet');
    expect(formatAgo(now / 1000 - 2 * 86_400, now)).toBe('2 days ago');
    expect(formatAgo(now / 1000 + 5, now)).toBe('just now');
  });

  it('turn the add form into a watch form, naming a bad settle time', () => {
    const base = { destination: '', prefix: '', settle: '', ignore: '', mirror: false, poll: false };
    expect(watchFormFrom(base)).toEqual({ settle_ms: 2000, mirror_deletes: false, poll: false });
    expect(watchFormFrom({ ...base, destination: 'r2', prefix: ' scans ', settle: '0.5', ignore: '*.xmp, drafts/**\n', mirror: true })).toEqual({
      destination: 'r2',
      prefix: 'scans',
      settle_ms: 500,
      ignore: ['*.xmp', 'drafts/**'],
      mirror_deletes: true,
      poll: false,
    });
    expect(watchFormFrom({ ...base, settle: 'soon' })).toMatch(/Settle time/);
    expect(watchFormFrom({ ...base, settle: '0' })).toMatch(/Settle time/);
  });
});

describe('the Watches view', () => {
  it('adds a folder from the picker with the chosen destination, prefix and options', async () => {
    const ipc = await mountWatches();
    expect(q('.watch-empty').textContent).toMatch(/No folder/);
    expect([...q<HTMLSelectElement>('.watch-form [name="destination"]').options].map((o) => o.value)).toEqual(['', 'local']);
    q<HTMLSelectElement>('.watch-form [name="destination"]').value = 'local';
    q<HTMLInputElement>('.watch-form [name="prefix"]').value = 'scans';
    q<HTMLInputElement>('.watch-form [name="settle"]').value = '5';
    q<HTMLInputElement>('.watch-form [name="ignore"]').value = '*.xmp';
    q<HTMLInputElement>('.watch-form [name="mirror_deletes"]').checked = true;
    q<HTMLFormElement>('.watch-form').requestSubmit();
    await settle();
    expect(ipc.calls.find((c) => c.command === 'addWatch')!.args[0]).toEqual({
      destination: 'local',
      prefix: 'scans',
      settle_ms: 5000,
      ignore: ['*.xmp'],
      mirror_deletes: true,
      poll: false,
    });
    expect(items()).toHaveLength(1);
    expect(items()[0]!.querySelector('.watch-name')!.textContent).toBe('Scans');
    expect(items()[0]!.querySelector('.watch-target')!.textContent).toBe('to local: bucket/scans/ · settle 5 s · local deletes delete objects');
    expect(q('.watches-view .form-message').textContent).toBe('Watching /home/me/Scans.');
  });

  it('adds nothing when the picker is cancelled and shows a refusal', async () => {
    const ipc = await mountWatches((ipc) => {
      ipc.watchFolder = null;
    });
    q<HTMLFormElement>('.watch-form').requestSubmit();
    await settle();
    expect(ipc.count('addWatch')).toBe(1);
    expect(items()).toHaveLength(0);
    expect(q('.watches-view .form-message').textContent).toBe('');
    ipc.failNext('addWatch', { code: 'invalid_input', message: "cannot watch /home/me: it holds Hoist's own data" });
    q<HTMLFormElement>('.watch-form').requestSubmit();
    await settle();
    expect(q('.watches-view .form-message').textContent).toMatch(/Hoist's own data/);
    expect(q('.watches-view .form-message').dataset['kind']).toBe('error');
  });

  it('pauses, resumes and removes a watch after asking', async () => {
    const ipc = await mountWatches((ipc) => {
      ipc.watches = [makeWatch({ id: 7, uploaded: 4 })];
    });
    expect(items()[0]!.dataset['state']).toBe('watching');
    await click('.watch .pause');
    expect(ipc.watches[0]!.paused).toBe(true);
    expect(items()[0]!.querySelector('.watch-state')!.textContent).toBe('Paused');
    await click('.watch .resume');
    expect(ipc.watches[0]!.paused).toBe(false);
    await click('.watch .remove');
    expect(q('.watch .confirm-question').textContent).toMatch(/What it uploaded stays in the bucket/);
    await click('.watch .confirm-no');
    expect(ipc.count('removeWatch')).toBe(0);
    await click('.watch .remove');
    await click('.watch .confirm-yes');
    expect(ipc.calls.find((c) => c.command === 'removeWatch')!.args).toEqual([7]);
    expect(items()).toHaveLength(0);
  });

  it('shows and edits the ignore rules, keeping the text when a rule is refused', async () => {
    const ipc = await mountWatches((ipc) => {
      ipc.watches = [makeWatch({ id: 2, ignore: [...MOCK_IGNORES, '*.xmp'] })];
    });
    await click('.watch .edit-ignore');
    const text = () => q<HTMLTextAreaElement>('.watch textarea.ignore-rules');
    expect(text().value).toBe([...MOCK_IGNORES, '*.xmp'].join('\n'));
    text().value = '*.tmp\n[bad\n';
    await click('.watch .save-ignore');
    expect(q('.watches-view .form-message').textContent).toMatch(/bad ignore pattern '\[bad'/);
    expect(text().value).toBe('*.tmp\n[bad\n');
    await click('.watch .reset-ignore');
    expect(text().value).toBe(MOCK_IGNORES.join('\n'));
    text().value = '*.tmp\n\n  *.raw  \n';
    await click('.watch .save-ignore');
    expect(ipc.watches[0]!.ignore).toEqual(['*.tmp', '*.raw']);
    expect(root.querySelector('.watch textarea.ignore-rules')).toBeNull();
  });

  it('follows the engine: a changed watch reloads the list', async () => {
    const ipc = await mountWatches((ipc) => {
      ipc.watches = [makeWatch({ id: 1, state: 'starting' })];
    });
    expect(items()[0]!.querySelector('.watch-state')!.textContent).toBe('Starting…');
    ipc.watches[0]!.state = 'polling';
    ipc.watches[0]!.note = 'polling was chosen for this watch';
    ipc.emit('hoist://watches-changed', {});
    await settle();
    expect(items()[0]!.querySelector('.watch-state')!.textContent).toBe('Checking every few seconds: polling was chosen for this watch');
  });
});

describe('the queue', () => {
  it('tags uploads from a watched folder with its name', async () => {
    const mounted = await mountApp(root, [makeJob({ id: 1, watch: 3 }), makeJob({ id: 2 })], (ipc) => {
      ipc.watches = [makeWatch({ id: 3, folder: '/home/me/Camera import' })];
    });
    app = mounted.app;
    await settle();
    const tag = (id: number) => q(`.row[data-id="${id}"] .watch-tag`);
    expect(tag(1).textContent).toBe('watched: Camera import');
    expect(tag(1).hidden).toBe(false);
    expect(tag(2).hidden).toBe(true);
  });
});

describe('editing a watch', () => {
  it('shows every setting of the watch and saves them together', async () => {
    const { app, ipc } = await mountApp(document.getElementById('app')!, [], (ipc) => {
      ipc.destinations.push(makeDestination({ name: 'r2', bucket: 'b' }));
      ipc.watches.push(makeWatch({ id: 7, folder: '/home/me/scans', destination_name: 'local', prefix: 'scans/', settle_ms: 2000 }));
    });
    app.showTab('watches');
    await settle();
    document.querySelector<HTMLButtonElement>('.watch .edit-watch')!.click();
    const editor = document.querySelector<HTMLElement>('.watch-settings')!;
    const field = <T extends HTMLElement>(name: string) => editor.querySelector<T>(`[name="${name}"]`)!;
    expect(field<HTMLInputElement>('edit-prefix').value).toBe('scans/');
    expect(field<HTMLInputElement>('edit-settle').value).toBe('2');
    field<HTMLSelectElement>('edit-destination').value = 'r2';
    field<HTMLInputElement>('edit-prefix').value = 'inbox';
    field<HTMLInputElement>('edit-settle').value = '0.5';
    field<HTMLSelectElement>('edit-if-exists').value = 'skip';
    field<HTMLInputElement>('edit-mirror').checked = true;
    editor.querySelector<HTMLButtonElement>('.save-watch')!.click();
    await settle();
    const call = ipc.calls.find((c) => c.command === 'editWatch')!;
    expect(call.args).toEqual([7, { destination: 'r2', prefix: 'inbox', settle_ms: 500, if_exists: 'skip', mirror_deletes: true, poll: false }]);
    expect(document.querySelector('.watch-settings')).toBeNull();
    expect(document.querySelector('.watch .watch-target')!.textContent).toContain('to r2: b/inbox/');
    app.dispose();
  });

  it('refuses a settle time that is no number before asking the shell', async () => {
    expect(watchEditFrom({ destination: 'd', prefix: '', settle: 'soon', ifExists: '', mirror: false, poll: false })).toMatch(/Settle time/);
    expect(watchEditFrom({ destination: 'd', prefix: ' p ', settle: '3', ifExists: '', mirror: false, poll: true })).toEqual({
      destination: 'd',
      prefix: 'p',
      settle_ms: 3000,
      if_exists: null,
      mirror_deletes: false,
      poll: true,
    });
  });
});
