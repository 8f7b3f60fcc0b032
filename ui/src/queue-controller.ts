// The Queue view's controller: keeps the QueueState, applies the shell's queue messages to it,
// calls the commands of the row and toolbar buttons, and hands every new state to the view.
// Reloads of the job list are coalesced: a burst of lifecycle events causes one `list_jobs`
// call, not one per event. The other views and the tabs are the app's (app.ts); this class
// tells the app what concerns them through `QueueEvents`.
import type { EngineStatus, EnqueueReport, Ipc, Job, JobId, JobStateChange, ProgressSnapshot, QueueChanges, UiError, Watch } from './ipc/types';
import { errorText, toUiError } from './ipc/types';
import type { Action, Notice, QueueState } from './state';
import { applyJobState, applyProgress, initialState, withAddedJobs, withBusy, withFilter, withJobs, withoutJobs, withWatches } from './state';
import type { BulkAction } from './view';
import { QueueView } from './view';

/** What the queue tells the app. */
export interface QueueEvents {
  /** A job completed (Browse may show its folder). */
  completed(job: Job | undefined): void;
  /** Jobs of a watch changed or were added: the watches' counts are stale. */
  watchedChanged(): void;
  /** The toolbar's drop target changed. */
  target(destination: string, prefix: string): void;
  showInBrowse(destination: string, key: string): void;
}

export interface QueueTimings {
  /** How long to gather lifecycle events before reloading the list. */
  reloadDelayMs: number;
  /** How often to reload while another process drives the queue (no events reach us then). */
  pollMs: number;
  /** How long an info notice stays up. */
  noticeMs: number;
}

export class QueueController {
  private state: QueueState = initialState();
  readonly view: QueueView;
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
    main: HTMLElement,
    private readonly ipc: Ipc,
    private readonly events: QueueEvents,
    private readonly timings: QueueTimings,
  ) {
    this.view = new QueueView(main, {
      onAction: (action, id) => void this.act(action, id),
      onSelection: (action, ids) => void this.actOn(action, ids),
      onBulk: (action) => void this.bulk(action),
      onFilter: (filter) => this.set(withFilter(this.state, filter)),
      onTarget: (destination, prefix) => this.events.target(destination, prefix),
      onDismissNotice: () => this.setNotice(null),
      onCopy: (text) => this.ipc.copyText(text),
      uploaded: {
        copyLink: async (job) => {
          const url = await this.ipc.shareLink({ destination: job.destination_name, bucket: job.bucket }, job.key, 86_400);
          await this.ipc.copyText(url);
          return 'Link copied; it works for 1 day';
        },
        showInBrowse: (job) => this.events.showInBrowse(job.destination_name, job.key),
      },
    });
    this.view.render(this.state);
  }

  get current(): QueueState {
    return this.state;
  }

  dispose(): void {
    this.disposed = true;
    for (const timer of [this.reloadTimer, this.noticeTimer]) if (timer) clearTimeout(timer);
    if (this.pollTimer) clearInterval(this.pollTimer);
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
      else await new Promise((resolve) => setTimeout(resolve, this.timings.reloadDelayMs + 1));
    }
  }

  /**
   * One `hoist://queue-changes` message: jobs the core took off the queue leave the list, state
   * changes apply in place (O(1) each), and added jobs are fetched by id and appended, so a
   * burst of a watch's files never reloads the whole queue. A change to a job the list does not
   * know (another process added it) reloads it.
   */
  applyChanges(changes: QueueChanges): void {
    let state = this.state;
    if (changes.removed.length > 0) state = withoutJobs(state, changes.removed);
    const added = new Set(changes.added);
    let unknown = false;
    let watched = false;
    for (const change of changes.states) {
      if (change.state === 'completed') this.events.completed(state.jobs.get(change.id));
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
    if (watched || changes.added.length > 0) this.events.watchedChanged();
    if (changes.added.length > 0) this.fetchAdded(changes.added);
  }

  applyProgress(snapshot: ProgressSnapshot): void {
    const { state, unknown } = applyProgress(this.state, snapshot);
    this.set(state);
    if (unknown.some((id) => !this.fetching.has(id))) this.scheduleReload();
  }

  setOnline(online: boolean): void {
    this.set({ ...this.state, online });
  }

  setHeldForMetered(held: boolean): void {
    this.set({ ...this.state, heldForMetered: held });
  }

  setDropActive(active: boolean): void {
    this.set({ ...this.state, dropActive: active });
  }

  setWatches(watches: Watch[]): void {
    this.set(withWatches(this.state, watches));
  }

  enqueued(report: EnqueueReport): void {
    this.setNotice({ kind: 'info', text: describeEnqueue(report) });
  }

  setEngine(status: EngineStatus): void {
    this.set({ ...this.state, engine: status });
    const polling = status.state === 'elsewhere';
    if (polling && !this.pollTimer && !this.disposed) {
      this.pollTimer = setInterval(() => void this.reload(), this.timings.pollMs);
    } else if (!polling && this.pollTimer) {
      clearInterval(this.pollTimer);
      this.pollTimer = null;
    }
  }

  showError(error: UiError): void {
    this.setNotice({ kind: 'error', text: errorText(error) });
  }

  scheduleReload(): void {
    if (this.reloadTimer || this.disposed) return;
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = null;
      void this.reload();
    }, this.timings.reloadDelayMs);
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
          this.enqueued(report);
          break;
        }
      }
    } catch (e) {
      this.showError(toUiError(e));
    }
    await this.reload();
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

  /** The selection bar's action on the selected jobs it applies to, in one call. */
  private async actOn(action: Action, ids: JobId[]): Promise<void> {
    try {
      await this.command(action)(ids);
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

  private setNotice(notice: Notice | null): void {
    if (this.noticeTimer) clearTimeout(this.noticeTimer);
    this.noticeTimer = null;
    if (notice?.kind === 'info') {
      this.noticeTimer = setTimeout(() => this.setNotice(null), this.timings.noticeMs);
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
