// The Browse view's state, as plain data and pure functions (unit-tested without a DOM): the
// folder shown, its entries as pages arrive, sorting, the type-to-narrow filter, a recursive
// search under the folder, and the selection (click, shift-click, ctrl-click, keyboard).
import type { Listing, ObjectEntry } from './ipc/types';

export type SortKey = 'name' | 'size' | 'date';

/** One row: a sub-folder (its whole prefix, ending in '/') or an object. */
export type Entry = { kind: 'folder'; key: string } | ({ kind: 'object' } & ObjectEntry);

export interface Search {
  /** The text searched for, in key names under the folder. */
  text: string;
  running: boolean;
  /** Keys looked at so far. */
  looked: number;
  matches: Entry[];
}

export interface BrowseState {
  destination: string | null;
  /** '' for the top, else a folder ending in '/'. */
  prefix: string;
  /** Folders and objects of the folder, in listing order as pages arrived. */
  entries: Entry[];
  /** The next page's token; null when the folder is complete. */
  next: string | null;
  loading: boolean;
  sort: SortKey;
  descending: boolean;
  filter: string;
  search: Search | null;
  /** Selected keys, and the row a shift-click extends from. */
  selected: ReadonlySet<string>;
  anchor: string | null;
  error: string | null;
}

export function initialBrowse(destination: string | null = null): BrowseState {
  return {
    destination,
    prefix: '',
    entries: [],
    next: null,
    loading: false,
    sort: 'name',
    descending: false,
    filter: '',
    search: null,
    selected: new Set(),
    anchor: null,
    error: null,
  };
}

/** A folder's state before its first page. */
export function openFolder(state: BrowseState, prefix: string): BrowseState {
  return {
    ...state,
    prefix,
    entries: [],
    next: null,
    loading: true,
    filter: '',
    search: null,
    selected: new Set(),
    anchor: null,
    error: null,
  };
}

export function entriesOf(listing: Listing): Entry[] {
  return [...listing.folders.map((key): Entry => ({ kind: 'folder', key })), ...listing.objects.map((o): Entry => ({ kind: 'object', ...o }))];
}

/** Adds a page that arrived for the folder shown. */
export function addPage(state: BrowseState, listing: Listing): BrowseState {
  return { ...state, entries: [...state.entries, ...entriesOf(listing)], next: listing.next, loading: false, error: null };
}

/** The last part of a key, as shown: `photos/2024/` -> `2024/`, `a/b.jpg` -> `b.jpg`. */
export function nameOf(key: string): string {
  const trimmed = key.endsWith('/') ? key.slice(0, -1) : key;
  const slash = trimmed.lastIndexOf('/');
  return key.slice(slash + 1);
}

/** The breadcrumb of a prefix: (label, prefix) from the top down. */
export function crumbs(prefix: string): [string, string][] {
  const parts = prefix.split('/').filter((p) => p.length > 0);
  const out: [string, string][] = [['Top', '']];
  let at = '';
  for (const part of parts) {
    at += `${part}/`;
    out.push([part, at]);
  }
  return out;
}

/** The folder above `prefix` ('' above a top-level folder). */
export function parentOf(prefix: string): string {
  const parts = prefix.split('/').filter((p) => p.length > 0);
  parts.pop();
  return parts.length === 0 ? '' : `${parts.join('/')}/`;
}

/** Compares by `sort`; by name, a folder's entries compare by their names and a search's
 * matches (shown with their path below the folder) by key. */
function compare(a: Entry, b: Entry, sort: SortKey, byKey: boolean): number {
  if (sort === 'size' && a.kind === 'object' && b.kind === 'object') return a.size - b.size;
  if (sort === 'date' && a.kind === 'object' && b.kind === 'object') return (a.modified ?? 0) - (b.modified ?? 0);
  const label = (e: Entry): string => (byKey ? e.key : nameOf(e.key)).toLowerCase();
  const [x, y] = [label(a), label(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The rows shown: a search's matches, or the folder's entries narrowed by the filter; folders
 * first, each group sorted. */
export function visibleEntries(state: BrowseState): Entry[] {
  const source = state.search ? state.search.matches : state.entries;
  const needle = state.filter.trim().toLowerCase();
  const narrowed = needle && !state.search ? source.filter((e) => nameOf(e.key).toLowerCase().includes(needle)) : source;
  const sign = state.descending ? -1 : 1;
  const byKey = state.search !== null;
  const sorted = (group: Entry[]): Entry[] => [...group].sort((a, b) => sign * compare(a, b, state.sort, byKey) || (a.key < b.key ? -1 : 1));
  return [...sorted(narrowed.filter((e) => e.kind === 'folder')), ...sorted(narrowed.filter((e) => e.kind === 'object'))];
}

/** Whether a key found by a recursive search matches the text (in its name below the folder). */
export function matchesSearch(key: string, prefix: string, text: string): boolean {
  const needle = text.trim().toLowerCase();
  return needle.length > 0 && key.slice(prefix.length).toLowerCase().includes(needle);
}

export interface SelectMode {
  shift: boolean;
  toggle: boolean;
}

/** The selection after clicking `key` among `rows` (shift extends from the anchor, ctrl/cmd
 * toggles, a plain click selects only it). */
export function select(state: BrowseState, rows: Entry[], key: string, mode: SelectMode): BrowseState {
  if (mode.shift && state.anchor !== null) {
    const from = rows.findIndex((e) => e.key === state.anchor);
    const to = rows.findIndex((e) => e.key === key);
    if (from >= 0 && to >= 0) {
      const [lo, hi] = from < to ? [from, to] : [to, from];
      const range = rows.slice(lo, hi + 1).map((e) => e.key);
      const selected = mode.toggle ? new Set([...state.selected, ...range]) : new Set(range);
      return { ...state, selected };
    }
  }
  if (mode.toggle) {
    const selected = new Set(state.selected);
    if (selected.has(key)) selected.delete(key);
    else selected.add(key);
    return { ...state, selected, anchor: key };
  }
  return { ...state, selected: new Set([key]), anchor: key };
}

/** The selected rows, in display order. */
export function selectedEntries(state: BrowseState, rows: Entry[]): Entry[] {
  return rows.filter((e) => state.selected.has(e.key));
}

/** What a delete of these entries asks: how many objects (folders count as "everything under")
 * and the known total size. */
export function deleteQuestion(entries: Entry[], bytes: (n: number) => string): string {
  const objects = entries.filter((e) => e.kind === 'object');
  const folders = entries.filter((e) => e.kind === 'folder');
  const size = objects.reduce((sum, e) => sum + (e.kind === 'object' ? e.size : 0), 0);
  const parts: string[] = [];
  if (objects.length > 0) parts.push(`${objects.length} object${objects.length === 1 ? '' : 's'} (${bytes(size)})`);
  if (folders.length > 0) parts.push(`${folders.length} folder${folders.length === 1 ? '' : 's'} and everything in ${folders.length === 1 ? 'it' : 'them'}`);
  return `Delete ${parts.join(' and ')}? This cannot be undone.`;
}
