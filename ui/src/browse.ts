// The Browse view: what a destination holds. A destination chooser, a breadcrumb, a filter that
// narrows as you type, a search of everything under the folder (recursive pages, cancellable,
// counting the keys looked at), and a virtualized list (fixed-height rows over a spacer, like the
// queue) that loads the next page as you scroll. Select with click, shift-click, ctrl/cmd-click
// or the keyboard; act on the selection: Download (into a folder picked in the system's picker),
// Delete (asks first), Copy link, Copy key, Details.
// Files dropped while this view is shown upload into the folder shown.
import type { Destination, Ipc, ObjectDetails, Place, UiError } from './ipc/types';
import { errorText, toUiError } from './ipc/types';
import type { BrowseState, Entry, SortKey } from './browse-state';
import {
  addPage,
  crumbs,
  deleteQuestion,
  entriesOf,
  initialBrowse,
  matchesSearch,
  nameOf,
  openFolder,
  parentOf,
  select,
  selectedEntries,
  visibleEntries,
} from './browse-state';
import { formatBytes } from './format';
import { button, el } from './dom';

/** Row height in pixels; keep in step with `.object-row` in styles/browse.css. */
export const OBJECT_ROW_HEIGHT = 36;
const OVERSCAN = 8;
const FALLBACK_HEIGHT = 640;
/** One formatter for every row (toLocaleString builds a new one per call). */
const DATE = new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'short' });

/** Entries asked for per listing page. */
export const PAGE_SIZE = 1000;

const EXPIRIES: [string, number][] = [
  ['1 hour', 3600],
  ['1 day', 86_400],
  ['7 days', 7 * 86_400],
];

export interface BrowseCallbacks {
  /** The folder shown changed: drops go there. */
  onTarget(destination: string, prefix: string): void;
}

export class BrowseView {
  readonly element: HTMLElement;
  private state: BrowseState = initialBrowse();
  private destinations: Destination[] = [];
  private readonly chooser: HTMLSelectElement;
  private readonly crumbsEl: HTMLElement;
  private readonly filterInput: HTMLInputElement;
  private readonly searchButton: HTMLButtonElement;
  private readonly statusEl: HTMLElement;
  private readonly confirmEl: HTMLElement;
  private readonly messageEl: HTMLElement;
  private readonly list: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly detailEl: HTMLElement;
  private readonly expiry: HTMLSelectElement;
  private readonly actionButtons: HTMLButtonElement[] = [];
  private rows = new Map<string, HTMLElement>();
  /** The rows shown, sorted and filtered once per state change (not on every scroll). */
  private visible: Entry[] = [];
  /** Bumped on every navigation: answers for an older folder are dropped. */
  private generation = 0;
  private searchGeneration = 0;

  constructor(
    root: HTMLElement,
    private readonly ipc: Ipc,
    private readonly callbacks: BrowseCallbacks,
  ) {
    this.element = el('section', 'view browse-view');
    this.element.setAttribute('aria-label', 'Browse');
    const toolbar = el('div', 'toolbar browse-toolbar');
    this.chooser = el('select', 'browse-destination');
    this.chooser.setAttribute('aria-label', 'Destination to browse');
    this.chooser.addEventListener('change', () => void this.open(this.chooser.value, ''));
    this.crumbsEl = el('nav', 'crumbs');
    this.crumbsEl.setAttribute('aria-label', 'Folder');
    this.filterInput = el('input', 'browse-filter');
    this.filterInput.type = 'search';
    this.filterInput.placeholder = 'Filter this folder';
    this.filterInput.setAttribute('aria-label', 'Filter by name');
    this.filterInput.addEventListener('input', () => this.set({ ...this.state, filter: this.filterInput.value }));
    this.filterInput.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') void this.toggleSearch();
    });
    this.searchButton = button('Search everything under this folder', 'search-under', () => void this.toggleSearch());
    const refresh = button('Refresh', 'refresh', () => void this.open(this.state.destination, this.state.prefix));
    toolbar.append(this.chooser, this.crumbsEl, this.filterInput, this.searchButton, refresh);

    const actions = el('div', 'toolbar browse-actions');
    this.expiry = el('select', 'link-expiry');
    this.expiry.setAttribute('aria-label', 'Link expires after');
    for (const [label, secs] of EXPIRIES) {
      const option = el('option', undefined, label);
      option.value = String(secs);
      this.expiry.append(option);
    }
    this.expiry.value = '86400';
    const add = (label: string, className: string, run: () => void): void => {
      const b = button(label, className, run);
      this.actionButtons.push(b);
      actions.append(b);
    };
    add('Download', 'download-selected', () => void this.download());
    add('Delete', 'delete-selected', () => this.askDelete());
    add('Copy link', 'copy-link', () => void this.copyLink());
    actions.append(this.expiry);
    add('Copy key', 'copy-key', () => void this.copyKeys());
    add('Details', 'show-details', () => void this.showDetails());
    this.statusEl = el('span', 'browse-status');
    this.statusEl.setAttribute('role', 'status');
    actions.append(this.statusEl);

    this.confirmEl = el('div', 'confirm-delete');
    this.confirmEl.hidden = true;
    this.confirmEl.setAttribute('role', 'alertdialog');
    this.messageEl = el('div', 'browse-message');
    this.messageEl.setAttribute('role', 'alert');

    const header = el('div', 'object-header');
    for (const [label, sort] of [
      ['Name', 'name'],
      ['Size', 'size'],
      ['Modified', 'date'],
    ] as [string, SortKey][]) {
      header.append(button(label, `sort sort-${sort}`, () => this.sortBy(sort)));
    }
    this.list = el('div', 'objects');
    this.list.setAttribute('role', 'listbox');
    this.list.setAttribute('aria-multiselectable', 'true');
    this.list.setAttribute('aria-label', 'Objects');
    this.list.tabIndex = 0;
    this.spacer = el('div', 'objects-spacer');
    this.list.append(this.spacer);
    this.list.addEventListener('scroll', () => {
      this.renderRows();
      this.loadMoreIfNear();
    });
    this.list.addEventListener('click', (event) => this.onClick(event));
    this.list.addEventListener('dblclick', (event) => {
      const key = this.keyAt(event);
      if (key?.endsWith('/')) void this.open(this.state.destination, key);
    });
    this.list.addEventListener('keydown', (event) => this.onKey(event));
    this.detailEl = el('aside', 'object-detail');
    this.detailEl.hidden = true;
    this.element.append(toolbar, actions, this.confirmEl, this.messageEl, header, this.list, this.detailEl);
    root.append(this.element);
    this.render();
  }

  private place(): Place {
    return this.state.destination === null ? {} : { destination: this.state.destination };
  }

  /** Shown: reloads the destinations and the folder. */
  async load(): Promise<void> {
    try {
      this.destinations = await this.ipc.listDestinations();
    } catch (e) {
      this.showMessage(errorText(e));
      return;
    }
    this.chooser.replaceChildren(
      ...this.destinations.map((d) => {
        const option = el('option', undefined, d.name);
        option.value = d.name;
        return option;
      }),
    );
    const current = this.destinations.find((d) => d.name === this.state.destination) ?? this.destinations.find((d) => !d.builtin) ?? this.destinations[0];
    if (!current) {
      this.set(initialBrowse());
      this.showMessage('No destination yet: add one in Destinations, then browse it here.');
      return;
    }
    this.chooser.value = current.name;
    await this.open(current.name, current.name === this.state.destination ? this.state.prefix : '');
  }

  /** Shows the folder `prefix` of `destination`, loading its first page. */
  async open(destination: string | null, prefix: string): Promise<void> {
    if (destination === null) return;
    this.generation += 1;
    this.searchGeneration += 1;
    this.filterInput.value = '';
    this.detailEl.hidden = true;
    this.confirmEl.hidden = true;
    this.set(openFolder({ ...this.state, destination }, prefix));
    this.list.scrollTop = 0;
    this.callbacks.onTarget(destination, prefix);
    await this.loadPage();
  }

  /** Shows the folder `prefix` with `key` selected (Show in Browse from the queue). */
  async openAt(destination: string, prefix: string, key: string): Promise<void> {
    this.state = { ...this.state, destination };
    await this.open(destination, prefix);
    this.set(select(this.state, this.visible, key, { shift: false, toggle: false }));
    const index = this.visible.findIndex((e) => e.key === key);
    if (index >= 0) this.scrollTo(index);
  }

  /** Reloads the folder shown, keeping the scroll position (after uploads into it). */
  async refresh(): Promise<void> {
    if (this.state.destination === null || this.state.search) return;
    const top = this.list.scrollTop;
    this.generation += 1;
    this.set({ ...this.state, entries: [], next: null, loading: true });
    await this.loadPage();
    this.list.scrollTop = top;
  }

  /** The folder shown, for uploads that should refresh it. */
  get folder(): { destination: string | null; prefix: string } {
    return { destination: this.state.destination, prefix: this.state.prefix };
  }

  private async loadPage(): Promise<void> {
    const generation = this.generation;
    const page = this.state.entries.length === 0 ? null : this.state.next;
    try {
      const listing = await this.ipc.listObjects(this.place(), this.state.prefix, false, page, PAGE_SIZE);
      if (generation !== this.generation) return;
      this.set(addPage(this.state, listing));
      this.loadMoreIfNear();
    } catch (e) {
      if (generation !== this.generation) return;
      this.set({ ...this.state, loading: false, error: explain(toUiError(e)) });
    }
  }

  /** Loads the next page when the scroll is within two screens of the end. */
  private loadMoreIfNear(): void {
    if (this.state.loading || this.state.next === null || this.state.search) return;
    const height = this.list.clientHeight || FALLBACK_HEIGHT;
    const end = this.visible.length * OBJECT_ROW_HEIGHT;
    if (this.list.scrollTop + 3 * height >= end) {
      this.set({ ...this.state, loading: true });
      void this.loadPage();
    }
  }

  /** Starts a recursive search for the filter's text under the folder, or stops the one running. */
  private async toggleSearch(): Promise<void> {
    if (this.state.search?.running) {
      this.searchGeneration += 1;
      this.set({ ...this.state, search: { ...this.state.search, running: false } });
      return;
    }
    const text = this.filterInput.value.trim();
    if (!text) {
      this.set({ ...this.state, search: null });
      this.showMessage('Type part of a name in the filter first, then search.');
      return;
    }
    const generation = ++this.searchGeneration;
    let search = { text, running: true, looked: 0, matches: [] as Entry[] };
    this.set({ ...this.state, search, selected: new Set(), anchor: null });
    let page: string | null = null;
    try {
      do {
        const listing = await this.ipc.listObjects(this.place(), this.state.prefix, true, page, PAGE_SIZE);
        if (generation !== this.searchGeneration) return;
        const found = entriesOf(listing).filter((e) => matchesSearch(e.key, this.state.prefix, text));
        search = { ...search, looked: search.looked + listing.objects.length, matches: [...search.matches, ...found] };
        this.set({ ...this.state, search });
        page = listing.next;
      } while (page !== null);
      this.set({ ...this.state, search: { ...search, running: false } });
    } catch (e) {
      if (generation !== this.searchGeneration) return;
      this.set({ ...this.state, search: { ...search, running: false }, error: explain(toUiError(e)) });
    }
  }

  private sortBy(sort: SortKey): void {
    const descending = this.state.sort === sort ? !this.state.descending : false;
    this.set({ ...this.state, sort, descending });
  }

  private keyAt(event: Event): string | undefined {
    const row = (event.target as Element | null)?.closest('[data-key]');
    return row instanceof HTMLElement ? row.dataset['key'] : undefined;
  }

  private onClick(event: MouseEvent): void {
    const crumb = (event.target as Element | null)?.closest('button[data-open]');
    if (crumb instanceof HTMLButtonElement) {
      void this.open(this.state.destination, crumb.dataset['open'] ?? '');
      return;
    }
    const key = this.keyAt(event);
    if (key === undefined) return;
    this.set(select(this.state, this.visible, key, { shift: event.shiftKey, toggle: event.ctrlKey || event.metaKey }));
    this.list.focus();
  }

  /** ↑/↓ move (with Shift: extend), Enter opens a folder, Backspace goes up, Delete asks,
   * Ctrl+A selects everything loaded. */
  private onKey(event: KeyboardEvent): void {
    const rows = this.visible;
    if (event.key === 'a' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      this.set({ ...this.state, selected: new Set(rows.map((e) => e.key)) });
      return;
    }
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      const at = rows.findIndex((e) => e.key === this.state.anchor);
      const next = Math.max(0, Math.min(rows.length - 1, at + (event.key === 'ArrowDown' ? 1 : -1)));
      const target = rows[next];
      if (!target) return;
      if (event.shiftKey) {
        this.set({ ...this.state, selected: new Set([...this.state.selected, target.key]), anchor: target.key });
      } else {
        this.set(select(this.state, rows, target.key, { shift: false, toggle: false }));
      }
      this.scrollTo(next);
      return;
    }
    if (event.key === 'Enter' && this.state.anchor?.endsWith('/')) {
      void this.open(this.state.destination, this.state.anchor);
    } else if (event.key === 'Backspace' && this.state.prefix) {
      void this.open(this.state.destination, parentOf(this.state.prefix));
    } else if (event.key === 'Delete') {
      this.askDelete();
    }
  }

  private scrollTo(index: number): void {
    const height = this.list.clientHeight || FALLBACK_HEIGHT;
    const top = index * OBJECT_ROW_HEIGHT;
    if (top < this.list.scrollTop) this.list.scrollTop = top;
    else if (top + OBJECT_ROW_HEIGHT > this.list.scrollTop + height) this.list.scrollTop = top + OBJECT_ROW_HEIGHT - height;
    this.renderRows();
  }

  private selection(): Entry[] {
    return selectedEntries(this.state, this.visible);
  }

  private askDelete(): void {
    const chosen = this.selection();
    if (chosen.length === 0) return;
    const yes = button('Delete', 'confirm-yes', () => void this.delete(chosen));
    const no = button('Keep', 'confirm-no', () => {
      this.confirmEl.hidden = true;
    });
    this.confirmEl.replaceChildren(el('span', 'confirm-question', deleteQuestion(chosen, formatBytes)), yes, no);
    this.confirmEl.hidden = false;
    yes.focus();
  }

  private async delete(chosen: Entry[]): Promise<void> {
    this.confirmEl.hidden = true;
    this.status(`Deleting ${chosen.length}…`);
    try {
      const report = await this.ipc.deleteObjects(
        this.place(),
        chosen.map((e) => e.key),
      );
      const failed = report.failed.map((f) => `${f.key}: ${f.message}`);
      const gone = new Set(chosen.map((e) => e.key).filter((k) => !report.failed.some((f) => f.key === k)));
      const keep = (e: Entry): boolean => !gone.has(e.key);
      const search = this.state.search ? { ...this.state.search, matches: this.state.search.matches.filter(keep) } : null;
      this.set({ ...this.state, entries: this.state.entries.filter(keep), search, selected: new Set() });
      this.status(`Deleted ${report.deleted} object${report.deleted === 1 ? '' : 's'}${failed.length ? `; ${failed.length} could not be deleted` : ''}`);
      if (failed.length > 0) this.showMessage(`Not deleted:\n${failed.join('\n')}`);
    } catch (e) {
      this.showMessage(explain(toUiError(e)));
    }
  }

  /** Downloads the selection (folders with everything under them) into a folder the user picks;
   * the downloads join the queue, where they show progress and "Show in folder". */
  private async download(): Promise<void> {
    const chosen = this.selection();
    if (chosen.length === 0) {
      this.status('Select what to download.');
      return;
    }
    try {
      const report = await this.ipc.downloadObjects(
        this.place(),
        chosen.map((e) => e.key),
      );
      if (!report) return;
      const queued = report.jobs.length;
      this.status(`${queued} download${queued === 1 ? '' : 's'} queued; see the Queue`);
      if (report.refused.length > 0) {
        this.showMessage(`Not downloaded:\n${report.refused.map((r) => `${r.key}: ${r.reason}`).join('\n')}`);
      }
    } catch (e) {
      this.showMessage(explain(toUiError(e)));
    }
  }

  private async copyLink(): Promise<void> {
    const chosen = this.selection().filter((e) => e.kind === 'object');
    if (chosen.length !== 1) {
      this.status('Select one object to share.');
      return;
    }
    try {
      const url = await this.ipc.shareLink(this.place(), chosen[0]!.key, Number(this.expiry.value));
      await this.ipc.copyText(url);
      this.status(`Link copied; it works for ${this.expiry.selectedOptions[0]?.textContent ?? ''}`);
    } catch (e) {
      this.showMessage(errorText(e));
    }
  }

  private async copyKeys(): Promise<void> {
    const keys = this.selection().map((e) => e.key);
    if (keys.length === 0) return;
    await this.ipc.copyText(keys.join('\n'));
    this.status(keys.length === 1 ? 'Key copied' : `${keys.length} keys copied`);
  }

  private async showDetails(): Promise<void> {
    const chosen = this.selection().filter((e) => e.kind === 'object');
    if (chosen.length !== 1) {
      this.status('Select one object to see its details.');
      return;
    }
    try {
      this.renderDetails(await this.ipc.objectDetails(this.place(), chosen[0]!.key));
    } catch (e) {
      this.showMessage(errorText(e));
    }
  }

  private renderDetails(details: ObjectDetails): void {
    const facts = el('dl', 'object-facts');
    const fact = (name: string, value: string | null | undefined): void => {
      if (value) facts.append(el('dt', undefined, name), el('dd', undefined, value));
    };
    fact('Key', details.key);
    fact('Size', `${formatBytes(details.size)} (${details.size} bytes)`);
    fact('Modified', details.modified ? new Date(details.modified * 1000).toLocaleString() : null);
    fact('Content type', details.content_type);
    fact('ETag', details.etag);
    fact('Storage class', details.storage_class);
    fact('Cache-Control', details.cache_control);
    for (const [name, value] of Object.entries(details.metadata)) fact(`x-amz-meta-${name}`, value);
    const close = button('Close', 'close-detail', () => {
      this.detailEl.hidden = true;
    });
    this.detailEl.replaceChildren(el('h3', undefined, nameOf(details.key)), facts, close);
    this.detailEl.hidden = false;
  }

  private status(text: string): void {
    this.statusEl.textContent = text;
  }

  private showMessage(text: string): void {
    this.messageEl.textContent = text;
    this.messageEl.hidden = !text;
  }

  private set(state: BrowseState): void {
    const old = this.state;
    this.state = state;
    const same =
      old.entries === state.entries &&
      old.search === state.search &&
      old.filter === state.filter &&
      old.sort === state.sort &&
      old.descending === state.descending;
    if (!same || this.visible.length === 0) this.visible = visibleEntries(state);
    this.render();
  }

  private render(): void {
    const s = this.state;
    this.crumbsEl.replaceChildren(
      ...crumbs(s.prefix).map(([label, prefix], i, all) => {
        const b = button(label, i === all.length - 1 ? 'crumb current' : 'crumb');
        b.dataset['open'] = prefix;
        b.addEventListener('click', () => void this.open(s.destination, prefix));
        return b;
      }),
    );
    const rows = visibleEntries(s);
    const selected = selectedEntries(s, rows);
    for (const b of this.actionButtons) b.disabled = selected.length === 0;
    this.searchButton.textContent = s.search?.running ? 'Stop searching' : 'Search everything under this folder';
    if (s.search) {
      this.status(
        `${s.search.running ? 'Searching' : 'Searched'}: ${s.search.looked} keys looked at, ${s.search.matches.length} match${s.search.matches.length === 1 ? '' : 'es'}`,
      );
    } else if (selected.length > 0) {
      this.status(`${selected.length} selected`);
    } else {
      this.status(s.loading ? 'Loading…' : `${rows.length} item${rows.length === 1 ? '' : 's'}${s.next ? ' (more as you scroll)' : ''}`);
    }
    if (s.error) this.showMessage(s.error);
    else if (!s.loading && rows.length === 0 && s.destination) {
      this.showMessage(
        s.search ? 'Nothing matches.' : s.filter ? 'Nothing here matches the filter.' : 'This folder is empty: drop files here to upload them into it.',
      );
    } else this.showMessage('');
    this.renderRows();
  }

  /** Draws the rows in the scrolled-to window only. */
  private renderRows(): void {
    const rows = this.visible;
    this.spacer.style.height = `${rows.length * OBJECT_ROW_HEIGHT}px`;
    const height = this.list.clientHeight || FALLBACK_HEIGHT;
    const first = Math.max(0, Math.floor(this.list.scrollTop / OBJECT_ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(rows.length, Math.ceil((this.list.scrollTop + height) / OBJECT_ROW_HEIGHT) + OVERSCAN);
    const keep = new Map<string, HTMLElement>();
    for (let i = first; i < last; i++) {
      const entry = rows[i]!;
      const row = this.rows.get(entry.key) ?? this.makeRow(entry);
      row.style.transform = `translateY(${i * OBJECT_ROW_HEIGHT}px)`;
      const isSelected = this.state.selected.has(entry.key);
      row.classList.toggle('selected', isSelected);
      row.setAttribute('aria-selected', String(isSelected));
      if (!row.isConnected) this.list.append(row);
      keep.set(entry.key, row);
    }
    for (const [key, row] of this.rows) if (!keep.has(key)) row.remove();
    this.rows = keep;
  }

  private makeRow(entry: Entry): HTMLElement {
    const row = el('div', `object-row ${entry.kind}`);
    row.dataset['key'] = entry.key;
    row.setAttribute('role', 'option');
    const name = this.state.search ? entry.key.slice(this.state.prefix.length) : nameOf(entry.key);
    row.append(el('span', 'object-name', name));
    if (entry.kind === 'object') {
      row.append(el('span', 'object-size', formatBytes(entry.size)), el('span', 'object-modified', entry.modified ? DATE.format(entry.modified * 1000) : ''));
    } else {
      row.append(el('span', 'object-size', 'folder'), el('span', 'object-modified', ''));
    }
    return row;
  }
}

/** A listing failure in words that say what to do. */
function explain(error: UiError): string {
  switch (error.code) {
    case 'access_denied':
      return `${error.message}. The key may write but not list: it needs s3:ListBucket to browse.`;
    case 'unreachable':
      return `${error.message}. Hoist is offline or the server is down: check the network, then Refresh.`;
    case 'no_such_bucket':
      return `${error.message}. Check the destination's bucket in Destinations.`;
    default:
      return errorText(error);
  }
}
