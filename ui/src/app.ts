// The queue window's controller: subscribes to the shell's events, keeps the QueueState, calls
// commands for the row buttons, and hands every new state to the view. Reloads of the job list
// are coalesced: a burst of lifecycle events causes one `list_jobs` call, not one per event.
import type { EngineStatus, EnqueueReport, EventMap, EventName, Ipc, JobId, JobStateChange, QueueChanges, UiError, Unlisten } from './ipc/types';
import { errorText, toUiError } from './ipc/types';
import type { Action, Filter, Notice, QueueState } from './state';
import { applyJobState, applyProgress, initialState, withAddedJobs, withBusy, withFilter, withJobs, withoutJobs, withWatches } from './state';
import type { BulkAction } from './view';
import { QueueView } from './view';
import { button, el } from './dom';
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
  private state: QueueState = initialState();
  private readonly view: QueueView;
  readonly destinations: DestinationsView;
  readonly browse: BrowseView;
  /** The queue toolbar's drop target, restored when Browse is left. */
  private queueTarget: [string, string] = ['', ''];
  private browseRefreshTimer: ReturnType<typeof setTimeout> | null = null;
  readonly settings: SettingsView;
  readonly watches: WatchesView;
  /** Coalesces reloads of the watches' counts while jobs finish. */
  private watchesTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly tabButtons = new Map<Tab, HTMLButtonElement>();
  tab: Tab = 'queue';
  private readonly unlisteners: Unlisten[] = [];
  private readonly reloadDelayMs: number;
  private readonly pollMs: number;
  private readonly noticeMs: number;
  private readonly watchesDelayMs: number;
  private reloadTimer: ReturnType<typeof setTimeout> | null = null;
  private pollTimer: ReturnType<typeof setInterval> | null = null;
  private noticeTimer: ReturnType<typeof setTimeout> | null = null;
  private reloading: Promise<void> | null = null;
  private reloadAgain = false;
  /**
   * Added jobs being fetched, each with the state changes that arrived after its fetch was sent:
   * the answer may have been read before them, so they are applied to it once it is in.
   */
  private readonly fetching = new Map<JobId, JobStateChange[]>();
  private readonly fetches = new Set<Promise<void>>();
  private disposed = false;

  constructor(
    root: HTMLElement,
    private readonly ipc: Ipc,
    options: AppOptions = {},
  ) {
    this.reloadDelayMs = options.reloadDelayMs ?? 100;
    this.pollMs = options.pollMs ?? 2000;
    this.noticeMs = options.noticeMs ?? 6000;
    this.watchesDelayMs = options.watchesDelayMs ?? 1000;
    root.replaceChildren();
    root.classList.add('hoist');
    const header = el('header', 'app-header');
    const nav = el('nav', 'tabs');
    nav.setAttribute('role', 'tablist');
    for (const [tab, label] of TABS) {
      const b = button(label, `tab tab-${tab}`, () => this.showTab(tab));
      b.setAttribute('role', 'tab');
      b.dataset['tab'] = tab;
      this.tabButtons.set(tab, b);
      nav.append(b);
    }
    header.append(el('h1', 'title', 'Hoist'), nav);
    const main = el('main', 'views');
    root.append(header, main);
    this.view = new QueueView(main, {
      onAction: (action, id) => void this.act(action, id),
      onBulk: (action) => void this.bulk(action),
      onFilter: (filter) => this.setFilter(filter),
      onTarget: (destination, prefix) => {
        this.queueTarget = [destination, prefix];
        this.setDropTarget(destination, prefix);
      },
      onDismissNotice: () => this.setNotice(null),
      onCopy: (text) => this.ipc.copyText(text),
      uploaded: {
        copyLink: async (job) => {
          const url = await this.ipc.shareLink({ destination: job.destination_name, bucket: job.bucket }, job.key, 86_400);
          await this.ipc.copyText(url);
          return 'Link copied; it works for 1 day';
        },
        showInBrowse: (job) => this.showInBrowse(job.destination_name, job.key),
      },
    });
    header.append(this.view.summaryEl, this.view.statusEl);
    this.browse = new BrowseView(main, ipc, {
      onTarget: (destination, prefix) => {
        if (this.tab === 'browse') this.setDropTarget(destination, prefix);
      },
    });
    this.watches = new WatchesView(main, ipc, (watches) => this.set(withWatches(this.state, watches)));
    this.destinations = new DestinationsView(main, ipc, (destinations) => {
      this.view.setDestinations(destinations);
      this.watches.setDestinations(destinations);
    });
    this.settings = new SettingsView(main, ipc);
    root.append(
      el(
        'footer',
        'help',
        'Keys: Tab moves between controls · ↑/↓ move in a list · Delete removes · Enter opens a folder, Backspace goes up · Alt+1–5 switch views',
      ),
    );
    root.addEventListener('keydown', (event) => {
      const index = ['1', '2', '3', '4', '5'].indexOf(event.key);
      if (event.altKey && index >= 0) {
        event.preventDefault();
        this.showTab(TABS[index]![0]);
      }
    });
    this.showTab('queue');
    this.view.render(this.state);
  }

  /** Shows one view; Watches, Destinations and Settings reload from the shell when shown. */
  showTab(tab: Tab): void {
    const leavingBrowse = this.tab === 'browse' && tab !== 'browse';
    this.tab = tab;
    for (const [t, b] of this.tabButtons) b.setAttribute('aria-selected', String(t === tab));
    this.view.element.hidden = tab !== 'queue';
    this.browse.element.hidden = tab !== 'browse';
    this.watches.element.hidden = tab !== 'watches';
    this.destinations.element.hidden = tab !== 'destinations';
    this.settings.element.hidden = tab !== 'settings';
    if (tab === 'destinations') void this.destinations.load();
    if (tab === 'browse') void this.browse.load();
    if (tab === 'watches') void this.watches.load();
    if (leavingBrowse) this.setDropTarget(...this.queueTarget);
    if (tab === 'settings') void this.settings.load();
  }

  /** Subscribes first, then loads, so no change between the two is lost. */
  async start(): Promise<void> {
    await Promise.all([
      this.on('hoist://queue-changes', (changes) => this.applyChanges(changes)),
      this.on('hoist://watches-changed', () => this.scheduleWatchesReload(true)),
      this.on('hoist://resync', () => this.scheduleReload()),
      this.on('hoist://progress', (snapshot) => {
        const { state, unknown } = applyProgress(this.state, snapshot);
        this.set(state);
        if (unknown.some((id) => !this.fetching.has(id))) this.scheduleReload();
      }),
      this.on('hoist://network', ({ online }) => this.set({ ...this.state, online })),
      this.on('hoist://engine', (status) => this.setEngine(status)),
      this.on('hoist://enqueued', (report) => this.setNotice({ kind: 'info', text: describeEnqueue(report) })),
      this.on('hoist://error', (error) => this.showError(error)),
      this.on('hoist://drop-hover', ({ active }) => this.set({ ...this.state, dropActive: active })),
    ]);
    const engine = this.ipc.engineStatus().then(
      (status) => this.setEngine(status),
      (e: unknown) => this.showError(toUiError(e)),
    );
    await Promise.all([this.reload(), engine, this.destinations.load(), this.watches.load()]);
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
    void this.ipc.setDropTarget(destination || undefined, prefix || undefined).catch((e: unknown) => this.showError(toUiError(e)));
  }

  /** A completed upload into the folder Browse shows refreshes it (coalesced: one listing for
   * a burst of completions). */
  private refreshBrowseFor(id: JobId): void {
    if (this.tab !== 'browse' || this.browseRefreshTimer) return;
    const job = this.state.jobs.get(id);
    const { destination, prefix } = this.browse.folder;
    if (job && (job.destination_name !== destination || !job.key.startsWith(prefix))) return;
    this.browseRefreshTimer = setTimeout(() => {
      this.browseRefreshTimer = null;
      void this.browse.refresh();
    }, 500);
  }

  /** Shows `key`'s folder in Browse (from a completed upload in the queue). */
  showInBrowse(destination: string, key: string): void {
    this.showTab('browse');
    const slash = key.lastIndexOf('/');
    void this.browse.openAt(destination, slash >= 0 ? key.slice(0, slash + 1) : '', key);
  }

  dispose(): void {
    this.disposed = true;
    for (const unlisten of this.unlisteners.splice(0)) unlisten();
    for (const timer of [this.reloadTimer, this.noticeTimer, this.browseRefreshTimer, this.watchesTimer]) if (timer) clearTimeout(timer);
    if (this.pollTimer) clearInterval(this.pollTimer);
  }

  get current(): QueueState {
    return this.state;
  }

  /** Reloads the job list now; concurrent calls share one request plus at most one more. */
  reload(): Promise<void> {
    if (this.reloading) {
      this.reloadAgain = true;
      return this.reloading;
    }
    this.reloading = (async () => {
      do {
        this.reloadAgain = false;
        try {
          const jobs = await this.ipc.listJobs();
          if (!this.disposed) this.set(withJobs(this.state, jobs));
        } catch (e) {
          this.showError(toUiError(e));
        }
      } while (this.reloadAgain && !this.disposed);
      this.reloading = null;
    })();
    return this.reloading;
  }

  /** Resolves once no reload or fetch is scheduled or running (for tests and callers that need a settled list). */
  async whenIdle(): Promise<void> {
    while (this.reloadTimer || this.reloading || this.fetches.size > 0) {
      if (this.reloading) await this.reloading;
      else if (this.fetches.size > 0) await Promise.all([...this.fetches]);
      else await new Promise((resolve) => setTimeout(resolve, this.reloadDelayMs + 1));
    }
  }

  /**
   * One `hoist://queue-changes` message: jobs the core took off the queue leave the list, state
   * changes apply in place (O(1) each), and added jobs are fetched by id and appended, so a
   * burst of a watch's files never reloads the whole queue. A change to a job the list does not
   * know (another process added it) reloads it.
   */
  private applyChanges(changes: QueueChanges): void {
    let state = this.state;
    if (changes.removed.length > 0) state = withoutJobs(state, changes.removed);
    const added = new Set(changes.added);
    let unknown = false;
    let watched = false;
    for (const change of changes.states) {
      if (change.state === 'completed') this.refreshBrowseFor(change.id);
      // A job added in this message is fetched after it, so the fetch reads these changes.
      if (added.has(change.id)) continue;
      const pending = this.fetching.get(change.id);
      if (pending) {
        pending.push(change);
        continue;
      }
      const applied = applyJobState(state, change);
      state = applied.state;
      unknown ||= !applied.known;
      watched ||= state.jobs.get(change.id)?.watch != null;
    }
    this.set(state);
    if (unknown) this.scheduleReload();
    if (watched) this.scheduleWatchesReload();
    if (changes.added.length > 0) {
      this.fetchAdded(changes.added);
      this.scheduleWatchesReload();
    }
  }

  private fetchAdded(ids: JobId[]): void {
    for (const id of ids) this.fetching.set(id, []);
    const fetch: Promise<void> = this.ipc
      .jobsById(ids)
      .then(
        (jobs) => {
          if (this.disposed) return;
          let state = withAddedJobs(this.state, jobs);
          for (const id of ids) {
            for (const change of this.fetching.get(id) ?? []) state = applyJobState(state, change).state;
          }
          this.set(state);
        },
        () => this.scheduleReload(),
      )
      .finally(() => {
        for (const id of ids) this.fetching.delete(id);
        this.fetches.delete(fetch);
      });
    this.fetches.add(fetch);
  }

  private async on<K extends EventName>(event: K, handler: (payload: EventMap[K]) => void): Promise<void> {
    this.unlisteners.push(await this.ipc.listen(event, handler));
  }

  private scheduleReload(): void {
    if (this.reloadTimer || this.disposed) return;
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = null;
      void this.reload();
    }, this.reloadDelayMs);
  }

  private async act(action: Action, id: JobId): Promise<void> {
    if (this.state.busy.has(id)) return;
    this.set(withBusy(this.state, id, true));
    try {
      await this.command(action)([id]);
    } catch (e) {
      this.showError(toUiError(e));
    }
    // Reload before re-enabling the row, so its buttons never offer the old state's actions.
    await this.reload();
    this.set(withBusy(this.state, id, false));
  }

  private setFilter(filter: Filter): void {
    this.set(withFilter(this.state, filter));
  }

  /** Toolbar actions: pause/resume all, clear finished, and the file pickers. */
  async bulk(action: BulkAction): Promise<void> {
    try {
      switch (action) {
        case 'pause-all':
          await this.ipc.pauseAll();
          break;
        case 'resume-all':
          await this.ipc.resumeAll();
          break;
        case 'clear-finished':
          await this.ipc.clearFinished();
          break;
        case 'add-files':
        case 'add-folder': {
          // Rust opens the picker and queues what the user picked: no path crosses the IPC.
          const destination = this.view.destinationSelect.value || undefined;
          const prefix = this.view.prefixInput.value || undefined;
          const report = await this.ipc.addFromPicker(action === 'add-folder', destination, prefix);
          if (report === null) return;
          this.setNotice({ kind: 'info', text: describeEnqueue(report) });
          break;
        }
      }
    } catch (e) {
      this.showError(toUiError(e));
    }
    await this.reload();
  }

  private command(action: Action): (ids: JobId[]) => Promise<unknown> {
    switch (action) {
      case 'remove':
        return (ids) => this.ipc.removeJobs(ids);
      case 'pause':
        return (ids) => this.ipc.pauseJobs(ids);
      case 'resume':
        return (ids) => this.ipc.resumeJobs(ids);
      case 'retry':
        return (ids) => this.ipc.retryJobs(ids);
      case 'cancel':
        return (ids) => this.ipc.cancelJobs(ids);
      case 'show':
        return (ids) => Promise.all(ids.map((id) => this.ipc.showInFolder(id)));
    }
  }

  private setEngine(status: EngineStatus): void {
    this.set({ ...this.state, engine: status });
    const polling = status.state === 'elsewhere';
    if (polling && !this.pollTimer && !this.disposed) {
      this.pollTimer = setInterval(() => void this.reload(), this.pollMs);
    } else if (!polling && this.pollTimer) {
      clearInterval(this.pollTimer);
      this.pollTimer = null;
    }
  }

  private showError(error: UiError): void {
    this.setNotice({ kind: 'error', text: errorText(error) });
  }

  private setNotice(notice: Notice | null): void {
    if (this.noticeTimer) clearTimeout(this.noticeTimer);
    this.noticeTimer = null;
    if (notice?.kind === 'info') {
      this.noticeTimer = setTimeout(() => this.setNotice(null), this.noticeMs);
    }
    this.set({ ...this.state, notice });
  }

  private set(state: QueueState): void {
    this.state = state;
    if (!this.disposed) this.view.render(state);
  }
}

export function describeEnqueue(report: EnqueueReport): string {
  const added = report.jobs.length;
  const skipped = report.skipped.length;
  const files = (n: number) => `${n} file${n === 1 ? '' : 's'}`;
  let text = added > 0 ? `Added ${files(added)} to the queue` : 'Nothing was added';
  if (skipped > 0) {
    const first = report.skipped[0]!;
    text += `; skipped ${files(skipped)} (${first.path}: ${first.reason}${skipped > 1 ? ', …' : ''})`;
  }
  return text;
}
