import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { QueueApp } from '../src/app';
import { OBJECT_ROW_HEIGHT } from '../src/browse';
import { crumbs, deleteQuestion, initialBrowse, matchesSearch, nameOf, parentOf, select, visibleEntries } from '../src/browse-state';
import type { BrowseState, Entry } from '../src/browse-state';
import { formatBytes } from '../src/format';
import { makeDestination, makeJob, makeObject, MockIpc } from '../src/ipc/mock';
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

const q = <T extends Element = HTMLElement>(selector: string) => root.querySelector<T>(selector)!;
const names = () => [...root.querySelectorAll('.object-row .object-name')].map((n) => n.textContent);

async function browse(keys: string[], setup?: (ipc: MockIpc) => void): Promise<MockIpc> {
  const mounted = await mountApp(root, [], (ipc) => {
    ipc.destinations.push(makeDestination({ name: 'photos' }));
    for (const key of keys) ipc.objects.set(key, makeObject(key, { size: key.length * 100 }));
    setup?.(ipc);
  });
  app = mounted.app;
  app.showTab('browse');
  await settle();
  return mounted.ipc;
}

function click(key: string, init: MouseEventInit = {}): void {
  const row = root.querySelector(`.object-row[data-key="${key}"]`)!;
  row.dispatchEvent(new MouseEvent('click', { bubbles: true, ...init }));
}

describe('browse state', () => {
  const entry = (key: string, size = 0, modified = 0): Entry =>
    key.endsWith('/') ? { kind: 'folder', key } : { kind: 'object', key, size, modified, etag: null, storage_class: null };

  it('names, breadcrumbs and parents of prefixes', () => {
    expect(nameOf('photos/2024/')).toBe('2024/');
    expect(nameOf('photos/a.jpg')).toBe('a.jpg');
    expect(crumbs('photos/2024/')).toEqual([
      ['Top', ''],
      ['photos', 'photos/'],
      ['2024', 'photos/2024/'],
    ]);
    expect(parentOf('photos/2024/')).toBe('photos/');
    expect(parentOf('photos/')).toBe('');
  });

  it('shows folders first and sorts each group by name, size or date', () => {
    const state: BrowseState = {
      ...initialBrowse('d'),
      entries: [entry('b.txt', 5, 3), entry('z/'), entry('A.txt', 9, 1), entry('c/'), entry('c.txt', 1, 2)],
    };
    expect(visibleEntries(state).map((e) => e.key)).toEqual(['c/', 'z/', 'A.txt', 'b.txt', 'c.txt']);
    expect(visibleEntries({ ...state, sort: 'size' }).map((e) => e.key)).toEqual(['c/', 'z/', 'c.txt', 'b.txt', 'A.txt']);
    expect(visibleEntries({ ...state, sort: 'date', descending: true }).map((e) => e.key)).toEqual(['z/', 'c/', 'b.txt', 'c.txt', 'A.txt']);
    expect(visibleEntries({ ...state, filter: 'C' }).map((e) => e.key)).toEqual(['c/', 'c.txt']);
  });

  it('selects with click, shift-click and ctrl-click', () => {
    const rows = ['a', 'b', 'c', 'd'].map((k) => entry(k));
    let s = select(initialBrowse('d'), rows, 'b', { shift: false, toggle: false });
    s = select(s, rows, 'd', { shift: true, toggle: false });
    expect([...s.selected].sort()).toEqual(['b', 'c', 'd']);
    s = select(s, rows, 'c', { shift: false, toggle: true });
    expect([...s.selected].sort()).toEqual(['b', 'd']);
    s = select(s, rows, 'a', { shift: false, toggle: false });
    expect([...s.selected]).toEqual(['a']);
  });

  it('asks how many objects and how much a delete removes', () => {
    expect(deleteQuestion([entry('a', 1024), entry('b', 1024), entry('f/')], formatBytes)).toBe(
      'Delete 2 objects (2.0 KiB) and 1 folder and everything in it? This cannot be undone.',
    );
    expect(matchesSearch('photos/2024/beach.jpg', 'photos/', 'BEACH')).toBe(true);
    expect(matchesSearch('photos/beach/x.jpg', 'photos/beach/', 'beach')).toBe(false);
  });
});

describe('the Browse view', () => {
  it('lists folders then objects, opens a folder and goes back by the breadcrumb', async () => {
    const ipc = await browse(['b.txt', 'a/1.jpg', 'a/2.jpg', 'c.txt']);
    expect(names()).toEqual(['a/', 'b.txt', 'c.txt']);
    root.querySelector('.object-row[data-key="a/"]')!.dispatchEvent(new MouseEvent('dblclick', { bubbles: true }));
    await settle();
    expect(names()).toEqual(['1.jpg', '2.jpg']);
    expect(ipc.calls.filter((c) => c.command === 'setDropTarget').at(-1)!.args).toEqual(['photos', 'a/']);
    q<HTMLButtonElement>('.crumb:not(.current)').click();
    await settle();
    expect(names()).toEqual(['a/', 'b.txt', 'c.txt']);
  });

  it('an upload queued and finished within one message of the core refreshed the folder shown', async () => {
    const ipc = await browse(['a.jpg']);
    ipc.jobs.push(makeJob({ id: 7, state: 'completed', key: 'new.jpg', destination_name: 'photos' }));
    ipc.objects.set('new.jpg', makeObject('new.jpg'));
    ipc.emit('hoist://queue-changes', { added: [7], states: [{ id: 7, state: 'completed', error: null }], removed: [] });
    await vi.waitFor(() => expect(names()).toEqual(['a.jpg', 'new.jpg']), { timeout: 3000, interval: 50 });
  });

  it('loads pages as the list scrolls and keeps the DOM small with 100,000 keys', async () => {
    const keys = Array.from({ length: 100_000 }, (_, i) => `big/${String(i).padStart(6, '0')}`);
    const ipc = await browse(keys);
    root.querySelector('.object-row[data-key="big/"]')!.dispatchEvent(new MouseEvent('dblclick', { bubbles: true }));
    await settle();
    const pages = () => ipc.calls.filter((c) => c.command === 'listObjects').length;
    const before = pages();
    expect(root.querySelectorAll('.object-row').length).toBeLessThan(60);
    const list = q('.objects');
    list.scrollTop = 1000 * OBJECT_ROW_HEIGHT - 500;
    list.dispatchEvent(new Event('scroll'));
    await settle();
    expect(pages()).toBeGreaterThan(before);
    expect(root.querySelectorAll('.object-row').length).toBeLessThan(60);
  });

  it('filters as you type and searches everything under the folder', async () => {
    await browse(['x/beach.jpg', 'x/deep/beach-2.jpg', 'x/city.jpg', 'x/deep/more/beach.png']);
    root.querySelector('.object-row[data-key="x/"]')!.dispatchEvent(new MouseEvent('dblclick', { bubbles: true }));
    await settle();
    const filter = q<HTMLInputElement>('.browse-filter');
    filter.value = 'bea';
    filter.dispatchEvent(new Event('input'));
    expect(names()).toEqual(['beach.jpg']);
    q<HTMLButtonElement>('.search-under').click();
    await settle();
    expect(names()).toEqual(['beach.jpg', 'deep/beach-2.jpg', 'deep/more/beach.png']);
    expect(q('.browse-status').textContent).toContain('4 keys looked at, 3 matches');
  });

  it('deletes the selection after asking, naming the count and size', async () => {
    const ipc = await browse(['a.txt', 'b.txt', 'c.txt']);
    click('a.txt');
    click('b.txt', { shiftKey: true });
    q<HTMLButtonElement>('.delete-selected').click();
    expect(q('.confirm-question').textContent).toBe(`Delete 2 objects (${formatBytes(1000)}) ? This cannot be undone.`.replace(' ?', '?'));
    expect(ipc.objects.size).toBe(3);
    q<HTMLButtonElement>('.confirm-yes').click();
    await settle();
    expect([...ipc.objects.keys()]).toEqual(['c.txt']);
    expect(names()).toEqual(['c.txt']);
    expect(q('.browse-status').textContent).toContain('Deleted 2 objects');
  });

  it('copies a share link with the chosen expiry, and the key', async () => {
    const ipc = await browse(['report.pdf']);
    click('report.pdf');
    q<HTMLSelectElement>('.link-expiry').value = '3600';
    q<HTMLButtonElement>('.copy-link').click();
    await settle();
    expect(ipc.clipboard).toBe('https://share.example/report.pdf?expires=3600');
    q<HTMLButtonElement>('.copy-key').click();
    await settle();
    expect(ipc.clipboard).toBe('report.pdf');
  });

  it('downloads the selection, a folder with everything under it, into the picked folder', async () => {
    const ipc = await browse(['pics/a.jpg', 'pics/2024/b.jpg', 'top.txt']);
    click('pics/');
    click('top.txt', { ctrlKey: true });
    q<HTMLButtonElement>('.download-selected').click();
    await settle();
    const call = ipc.calls.find((c) => c.command === 'downloadObjects');
    expect(call?.args).toEqual([{ destination: 'photos' }, ['pics/', 'top.txt']]);
    expect(q('.browse-status').textContent).toBe('3 downloads queued; see the Queue');
    const downloads = ipc.jobs.filter((j) => j.direction === 'download').map((j) => j.path);
    expect(downloads).toEqual(['/home/me/Downloads/a.jpg', '/home/me/Downloads/b.jpg', '/home/me/Downloads/top.txt']);
    // Cancelling the picker queues nothing and says nothing.
    ipc.downloadFolder = null;
    q('.browse-status').textContent = '';
    q<HTMLButtonElement>('.download-selected').click();
    await settle();
    expect(ipc.jobs.filter((j) => j.direction === 'download')).toHaveLength(3);
    expect(q('.browse-status').textContent).toBe('');
  });

  it('shows download rows with their direction and offers Show in folder once done', async () => {
    const mounted = await mountApp(root, [
      makeJob({ id: 1, state: 'running', direction: 'download', path: '/home/me/Downloads/a.jpg', key: 'pics/a.jpg' }),
      makeJob({ id: 2, state: 'completed', direction: 'download', path: '/home/me/Downloads/b.jpg', key: 'pics/b.jpg' }),
      makeJob({ id: 3, state: 'completed', path: '/home/me/c.jpg' }),
    ]);
    app = mounted.app;
    const row = (id: number) => q(`.row[data-id="${id}"]`);
    expect(row(1).dataset['direction']).toBe('download');
    expect(row(1).querySelector('.badge')?.textContent).toBe('Downloading');
    expect(row(1).querySelector('.key')?.textContent).toBe('from default: bucket/pics/a.jpg');
    expect(row(1).querySelector('.action-show')).toBeNull();
    expect(row(3).dataset['direction']).toBe('upload');
    expect(row(3).querySelector('.action-show')).toBeNull();
    row(2).querySelector<HTMLButtonElement>('.action-show')!.click();
    await settle();
    expect(mounted.ipc.calls.filter((c) => c.command === 'showInFolder').map((c) => c.args)).toEqual([[2]]);
  });

  it('says what to do when listing is denied or there is no destination', async () => {
    await browse([], (ipc) => ipc.failNext('listObjects', { code: 'access_denied', message: 'listing: Access Denied' }));
    expect(q('.browse-message').textContent).toContain('needs s3:ListBucket');
  });

  it('offers Copy link and Show in Browse for a completed upload', async () => {
    const mounted = await mountApp(root, [makeJob({ id: 1, state: 'completed', key: 'in/photo.jpg', destination_name: 'photos' })], (ipc) => {
      ipc.destinations.push(makeDestination({ name: 'photos' }));
      ipc.objects.set('in/photo.jpg', makeObject('in/photo.jpg'));
    });
    app = mounted.app;
    q<HTMLButtonElement>('button[data-detail="1"]').click();
    q<HTMLButtonElement>('.copy-job-link').click();
    await settle();
    expect(mounted.ipc.clipboard).toBe('https://share.example/in%2Fphoto.jpg?expires=86400');
    q<HTMLButtonElement>('.show-in-browse').click();
    await settle();
    expect(app.tab).toBe('browse');
    expect(names()).toEqual(['photo.jpg']);
    expect(root.querySelector('.object-row.selected')?.getAttribute('data-key')).toBe('in/photo.jpg');
  });
});
