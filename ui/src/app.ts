// The window: the tabs and the views, the shell's events handed to the view they concern, and
// what one view asks of another (a completed upload refreshing Browse, a queued watch file
// reloading the Watches' counts). The queue's own state and commands are the QueueController's.
import type { EventMap, EventName, Ipc, Job, Unlisten } from './ipc/types';
import { toUiError } from './ipc/types';
import type { QueueState } from './state';
import { button, el } from './dom';
import { QueueController } from './queue-controller';
import { DestinationsView } from './destinations';
import { BrowseView } from './browse';
import { SettingsView } from './settings';
import { WatchesView } from './watches';

export type Tab = 'queue' | 'browse' | 'watches' | 'destinations' | 'settings';
const TABS: [Tab, string][] = [
  ['queue', 'Queue'],
  ['browse', 'Browse'],
  ['watches', 'Watches'],
  ['destinations', 'Destinations'],
  ['settings', 'Settings'],
];

export interface AppOptions {
  /** How long to gather lifecycle events before reloading the list. */
  reloadDelayMs?: number;
  /** How often to reload while another process drives the queue (no events reach us then). */
  pollMs?: number;
  /** How long an info notice stays up. */
  noticeMs?: number;
  /** How long to gather watch-related events before reloading the watches. */
  watchesDelayMs?: number;
}

export class QueueApp {
  private readonly queue: QueueController;
  readonly destinations: DestinationsView;
  readonly browse: BrowseView;
  readonly settings: SettingsView;
  readonly watches: WatchesView;
  /** The queue toolbar's drop target, restored when Browse is left. */
  private queueTarget: [string, string] = ['', ''];
  private browseRefreshTimer: ReturnType<typeof setTimeout> | null = null;
  /** Coalesces reloads of the watches' counts while jobs finish. */
  private watchesTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly watchesDelayMs: number;
  /** A view was chosen since the window opened: the one kept from last time no longer applies. */
  private chosen = false;
  private readonly tabButtons = new Map<Tab, HTMLButtonElement>();
  tab: Tab = 'queue';
  private readonly unlisteners: Unlisten[] = [];
  private disposed = false;

  constructor(
    root: HTMLElement,
    private readonly ipc: Ipc,
    options: AppOptions = {},
  ) {
    this.watchesDelayMs = options.watchesDelayMs ?? 1000;

    root.replaceChildren();
    root.classList.add('hoist');
    const header = el('header', 'app-header');
    const nav = el('nav', 'tabs');
    nav.setAttribute('role', 'tablist');
    nav.setAttribute('aria-label', 'Views');
    for (const [tab, label] of TABS) {
      const b = button(label, `tab tab-${tab}`, () => this.showTab(tab));
      b.setAttribute('role', 'tab');
      b.id = `tab-${tab}`;
      b.setAttribute('aria-controls', `view-${tab}`);
      b.dataset['tab'] = tab;
      this.tabButtons.set(tab, b);
      nav.append(b);
    }
    // A tablist is one tab stop: the arrow keys (and Home, End) move to the next view and show it.
    nav.addEventListener('keydown', (event) => {
      const at = TABS.findIndex(([tab]) => tab === this.tab);
      const to =
        event.key === 'ArrowRight'
          ? (at + 1) % TABS.length
          : event.key === 'ArrowLeft'
            ? (at + TABS.length - 1) % TABS.length
            : event.key === 'Home'
              ? 0
              : event.key === 'End'
                ? TABS.length - 1
                : -1;
      if (to < 0) return;
      event.preventDefault();
      const [tab] = TABS[to]!;
      this.showTab(tab);
      this.tabButtons.get(tab)?.focus();
    });
    header.append(el('h1', 'title', 'Hoist'), nav);
    const main = el('main', 'views');
    root.append(header, main);
    this.queue = new QueueController(
      main,
      ipc,
      {
        completed: (job) => this.refreshBrowseFor(job),
        watchedChanged: () => this.scheduleWatchesReload(),
        target: (destination, prefix) => {
          this.queueTarget = [destination, prefix];
          this.setDropTarget(destination, prefix);
        },
        showInBrowse: (destination, key) => this.showInBrowse(destination, key),
      },
      { reloadDelayMs: options.reloadDelayMs ?? 100, pollMs: options.pollMs ?? 2000, noticeMs: options.noticeMs ?? 6000 },
    );
    header.append(this.queue.view.summaryEl, this.queue.view.statusEl);
    this.browse = new BrowseView(main, ipc, {
      onTarget: (destination, prefix) => {
        if (this.tab === 'browse') this.setDropTarget(destination, prefix);
      },
    });
    this.watches = new WatchesView(main, ipc, (watches) => this.queue.setWatches(watches));
    this.destinations = new DestinationsView(main, ipc, (destinations) => {
      this.queue.view.setDestinations(destinations);
      this.watches.setDestinations(destinations);
    });
    this.settings = new SettingsView(main, ipc);
    for (const [tab] of TABS) {
      const panel = this.panel(tab);
      panel.id = `view-${tab}`;
      panel.setAttribute('role', 'tabpanel');
      panel.setAttribute('aria-labelledby', `tab-${tab}`);
    }
    root.append(
      el(
        'footer',
        'help',
        'Keys: ←/→ in the tabs and Alt+1–5 switch views · ↑/↓ move in a list, Space and Ctrl+A select · Delete removes · Enter opens a folder, Backspace goes up',
      ),
    );
    root.addEventListener('keydown', (event) => {
      const index = ['1', '2', '3', '4', '5'].indexOf(event.key);
      if (event.altKey && index >= 0) {
        event.preventDefault();
        this.showTab(TABS[index]![0]);
      }
    });
    this.showTab('queue', false);
  }

  /** Shows one view; Watches, Destinations and Settings reload from the shell when shown. A view
   * the user chose (`chosen`) is kept by the shell for the next start. */
  showTab(tab: Tab, chosen = true): void {
    const leavingBrowse = this.tab === 'browse' && tab !== 'browse';
    this.tab = tab;
    if (chosen) {
      this.chosen = true;
      void this.ipc.setWindowView(tab).catch(() => undefined);
    }
    for (const [t, b] of this.tabButtons) {
      b.setAttribute('aria-selected', String(t === tab));
      b.tabIndex = t === tab ? 0 : -1;
    }
    for (const [t] of TABS) this.panel(t).hidden = t !== tab;
    if (tab === 'destinations') void this.destinations.load();
    if (tab === 'browse') void this.browse.load();
    if (tab === 'watches') void this.watches.load();
    if (leavingBrowse) this.setDropTarget(...this.queueTarget);
    if (tab === 'settings') void this.settings.load();
  }

  /** The element of a view. */
  private panel(tab: Tab): HTMLElement {
    switch (tab) {
      case 'queue':
        return this.queue.view.element;
      case 'browse':
        return this.browse.element;
      case 'watches':
        return this.watches.element;
      case 'destinations':
        return this.destinations.element;
      case 'settings':
        return this.settings.element;
    }
  }

  /** Subscribes first, then loads, so no change between the two is lost. */
  async start(): Promise<void> {
    const queue = this.queue;
    await Promise.all([
      this.on('hoist://queue-changes', (changes) => queue.applyChanges(changes)),
      this.on('hoist://watches-changed', () => this.scheduleWatchesReload(true)),
      this.on('hoist://resync', () => queue.scheduleReload()),
      this.on('hoist://progress', (snapshot) => queue.applyProgress(snapshot)),
      this.on('hoist://network', ({ online }) => queue.setOnline(online)),
      this.on('hoist://metered-hold', ({ held }) => queue.setHeldForMetered(held)),
      this.on('hoist://engine', (status) => queue.setEngine(status)),
      this.on('hoist://enqueued', (report) => queue.enqueued(report)),
      this.on('hoist://error', (error) => queue.showError(error)),
      this.on('hoist://drop-hover', ({ active }) => queue.setDropActive(active)),
    ]);
    const engine = this.ipc.engineStatus().then(
      (status) => queue.setEngine(status),
      (e: unknown) => queue.showError(toUiError(e)),
    );
    const progress = this.ipc.progressSnapshot().then(
      (snapshot) => queue.applyProgress(snapshot),
      (e: unknown) => queue.showError(toUiError(e)),
    );
    const view = this.ipc.windowView().then(
      (saved) => {
        const tab = TABS.find(([name]) => name === saved)?.[0];
        if (tab && !this.chosen && !this.disposed) this.showTab(tab, false);
      },
      () => undefined,
    );
    await Promise.all([queue.reload(), engine, progress, this.destinations.load(), this.watches.load(), view]);
  }

  /** The queue's state (for tests). */
  get current(): QueueState {
    return this.queue.current;
  }

  reload(): Promise<void> {
    return this.queue.reload();
  }

  /** Resolves once the queue has no reload or fetch scheduled or running. */
  whenIdle(): Promise<void> {
    return this.queue.whenIdle();
  }

  /** Shows `key`'s folder in Browse (from a completed upload in the queue). */
  showInBrowse(destination: string, key: string): void {
    this.showTab('browse');
    const slash = key.lastIndexOf('/');
    void this.browse.openAt(destination, slash >= 0 ? key.slice(0, slash + 1) : '', key);
  }

  dispose(): void {
    this.disposed = true;
    this.queue.dispose();
    for (const unlisten of this.unlisteners.splice(0)) unlisten();
    for (const timer of [this.browseRefreshTimer, this.watchesTimer]) if (timer) clearTimeout(timer);
  }

  /** Reloads the watches (their counts, states and names) at most once a second; only while
   * the Watches view is shown, unless `always` (a watch was added or removed: the queue's tags
   * need its name). */
  private scheduleWatchesReload(always = false): void {
    if (this.watchesTimer || this.disposed || (!always && this.tab !== 'watches')) return;
    this.watchesTimer = setTimeout(() => {
      this.watchesTimer = null;
      void this.watches.load();
    }, this.watchesDelayMs);
  }

  private setDropTarget(destination: string, prefix: string): void {
    void this.ipc.setDropTarget(destination || undefined, prefix || undefined).catch((e: unknown) => this.queue.showError(toUiError(e)));
  }

  /** A completed upload into the folder Browse shows refreshes it (coalesced: one listing for
   * a burst of completions). */
  private refreshBrowseFor(job: Job | undefined): void {
    if (this.tab !== 'browse' || this.browseRefreshTimer) return;
    const { destination, prefix } = this.browse.folder;
    if (job && (job.destination_name !== destination || !job.key.startsWith(prefix))) return;
    this.browseRefreshTimer = setTimeout(() => {
      this.browseRefreshTimer = null;
      void this.browse.refresh();
    }, 500);
  }

  private async on<K extends EventName>(event: K, handler: (payload: EventMap[K]) => void): Promise<void> {
    this.unlisteners.push(await this.ipc.listen(event, handler));
  }
}
