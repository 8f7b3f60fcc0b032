// The queue view's DOM: a toolbar (add files or folders to a destination and prefix, filter,
// pause/resume all, clear finished) and a virtualized list. Rows have a fixed height; only the
// rows in the scrolled-to window (plus a few either side) exist in the DOM, positioned over a
// spacer as tall as the whole list, so 100,000 jobs cost as much to draw as 20. Rows are keyed by
// job id and updated in place. Buttons are handled by one delegated listener.
import type { Action, Filter, Notice, QueueState, RowView } from './state';
import { actionsFor, rowView, statusLine, summary, totals, totalsLine, visibleJobs } from './state';
import type { JobId, JobState, Destination } from './ipc/types';
import type { ShownJobs } from './job-list';
import { JOB_STATES } from './ipc/types';
import { DetailPane } from './detail';
import { button, el } from './dom';
import type { UploadedActions } from './detail';

/** Row height in pixels; keep in step with `.row` in styles/queue.css. */
export const ROW_HEIGHT = 64;
/** Rows drawn beyond each edge of the visible window. */
const OVERSCAN = 6;
/** Used when the list has no layout yet (hidden, or a DOM without layout in tests). */
const FALLBACK_HEIGHT = 640;

const ACTION_LABELS: Record<Action, string> = {
  pause: 'Pause',
  resume: 'Resume',
  retry: 'Retry',
  cancel: 'Cancel',
  remove: 'Remove',
  show: 'Show in folder',
};

const FILTER_LABELS: Record<Filter, string> = {
  all: 'All',
  queued: 'Queued',
  running: 'Running',
  paused: 'Paused',
  completed: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

export type BulkAction = 'pause-all' | 'resume-all' | 'clear-finished' | 'add-files' | 'add-folder';

interface RowElements {
  row: HTMLElement;
  name: HTMLElement;
  key: HTMLElement;
  watch: HTMLElement;
  badge: HTMLElement;
  attempts: HTMLElement;
  bar: HTMLProgressElement;
  detail: HTMLElement;
  speed: HTMLElement;
  message: HTMLElement;
  details: HTMLButtonElement;
  actions: HTMLElement;
  last: RowView | null;
}

/** What the selection bar does to every selected job the action applies to. */
export type SelectionAction = 'pause' | 'resume' | 'retry' | 'cancel' | 'remove';
const SELECTION_ACTIONS: [SelectionAction, string][] = [
  ['pause', 'Pause'],
  ['resume', 'Resume'],
  ['retry', 'Retry failed'],
  ['cancel', 'Cancel'],
  ['remove', 'Remove'],
];

export interface ViewCallbacks {
  onAction(action: Action, id: JobId): void;
  /** `ids`: the selected jobs the action applies to (the others are left alone). */
  onSelection(action: SelectionAction, ids: JobId[]): void;
  onBulk(action: BulkAction): void;
  onFilter(filter: Filter): void;
  /** The destination or prefix for added (and dropped) files changed. */
  onTarget(destination: string, prefix: string): void;
  onDismissNotice(): void;
  /** Puts text on the system clipboard. */
  onCopy(text: string): Promise<void>;
  /** For a completed upload: copy a share link to it, or show it in Browse. */
  uploaded?: UploadedActions;
}

export class QueueView {
  readonly element: HTMLElement;
  readonly summaryEl: HTMLElement;
  readonly statusEl: HTMLElement;
  private readonly noticeEl: HTMLElement;
  private readonly noticeText: HTMLElement;
  private readonly dropHint: HTMLElement;
  private readonly list: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly totalsEl: HTMLElement;
  private readonly filterSelect: HTMLSelectElement;
  readonly destinationSelect: HTMLSelectElement;
  readonly prefixInput: HTMLInputElement;
  private readonly rowEls = new Map<JobId, RowElements>();
  readonly detail: DetailPane;
  private readonly header: HTMLElement;
  /** The row holding the keyboard focus: only its buttons are tab stops. */
  private focusedId: JobId | null = null;
  /** The selected jobs (click, Ctrl/⌘-click, Shift-click, Space, Ctrl+A), and the row a Shift
   * range starts from. */
  private readonly selected = new Set<JobId>();
  private anchor: JobId | null = null;
  private readonly selectionBar: HTMLElement;
  private readonly selectionCount: HTMLElement;
  private readonly selectionButtons = new Map<SelectionAction, HTMLButtonElement>();
  private state: QueueState | null = null;

  constructor(
    root: HTMLElement,
    private readonly callbacks: ViewCallbacks,
  ) {
    this.element = el('section', 'queue-view');
    this.summaryEl = el('span', 'summary');
    this.statusEl = el('span', 'status');
    this.statusEl.setAttribute('role', 'status');

    this.noticeEl = el('div', 'notice');
    this.noticeEl.hidden = true;
    this.noticeEl.setAttribute('role', 'alert');
    this.noticeText = el('span', 'notice-text');
    const dismiss = button('×', 'notice-dismiss', () => callbacks.onDismissNotice());
    dismiss.title = 'Dismiss';
    dismiss.setAttribute('aria-label', 'Dismiss');
    this.noticeEl.append(this.noticeText, dismiss);

    const toolbar = el('div', 'toolbar');
    toolbar.setAttribute('role', 'toolbar');
    this.destinationSelect = el('select', 'destination-select');
    this.destinationSelect.setAttribute('aria-label', 'Destination for added files');
    this.prefixInput = el('input', 'prefix');
    this.prefixInput.placeholder = 'in folder';
    this.prefixInput.setAttribute('aria-label', 'Key prefix for added files');
    this.filterSelect = el('select', 'filter');
    this.filterSelect.setAttribute('aria-label', 'Show');
    for (const filter of ['all', ...JOB_STATES] as Filter[]) {
      const option = el('option', undefined, FILTER_LABELS[filter]);
      option.value = filter;
      this.filterSelect.append(option);
    }
    this.filterSelect.addEventListener('change', () => callbacks.onFilter(this.filterSelect.value as Filter));
    const target = () => callbacks.onTarget(this.destinationSelect.value, this.prefixInput.value);
    this.destinationSelect.addEventListener('change', target);
    this.prefixInput.addEventListener('change', target);
    const bulk = (label: string, action: BulkAction) => {
      const b = button(label, `bulk bulk-${action}`, () => callbacks.onBulk(action));
      b.dataset['bulk'] = action;
      return b;
    };
    toolbar.append(
      bulk('Add files…', 'add-files'),
      bulk('Add folder…', 'add-folder'),
      this.destinationSelect,
      this.prefixInput,
      el('span', 'spacer'),
      this.filterSelect,
      bulk('Pause all', 'pause-all'),
      bulk('Resume all', 'resume-all'),
      bulk('Clear finished', 'clear-finished'),
    );

    this.dropHint = el('div', 'drop-hint', 'Drop files or folders here');
    this.totalsEl = el('div', 'totals');
    this.header = el('div', 'jobs-header');
    // The rows say what each part is; the header is for the eye.
    this.header.setAttribute('aria-hidden', 'true');
    this.header.append(
      el('span', undefined, 'Name · destination'),
      el('span', undefined, 'State'),
      el('span', undefined, 'Progress · speed · time left'),
      el('span'),
    );
    this.list = el('div', 'jobs');
    this.list.setAttribute('role', 'list');
    this.list.setAttribute('aria-label', 'Upload queue');
    // One tab stop for the whole list; the arrow keys move between its rows, and Tab from a
    // row reaches that row's buttons only.
    this.list.tabIndex = 0;
    this.spacer = el('div', 'jobs-spacer');
    this.list.append(this.spacer);
    this.list.addEventListener('scroll', () => this.state && this.renderRows(this.state));
    this.detail = new DetailPane((text) => callbacks.onCopy(text), callbacks.uploaded);
    this.list.addEventListener('click', (event) => {
      const opener = (event.target as Element | null)?.closest('button[data-detail]');
      if (opener instanceof HTMLButtonElement) {
        const job = this.state?.jobs.get(Number(opener.dataset['detail']));
        if (job) this.detail.show(job);
        return;
      }
      const target = (event.target as Element | null)?.closest('button[data-action]');
      if (target instanceof HTMLButtonElement) {
        if (!target.disabled) callbacks.onAction(target.dataset['action'] as Action, Number(target.dataset['id']));
        return;
      }
      const row = (event.target as Element | null)?.closest<HTMLElement>('.row');
      if (row) this.select(Number(row.dataset['id']), event.shiftKey, event.ctrlKey || event.metaKey);
    });
    this.list.addEventListener('keydown', (event) => this.onKey(event));
    this.list.addEventListener('focusin', (event) => {
      const row = (event.target as Element | null)?.closest<HTMLElement>('.row');
      const id = row ? Number(row.dataset['id']) : null;
      if (id === this.focusedId) return;
      this.focusedId = id;
      for (const [rowId, els] of this.rowEls) {
        for (const b of els.row.querySelectorAll('button')) b.tabIndex = rowId === id ? 0 : -1;
      }
    });

    this.selectionBar = el('div', 'selection-bar');
    this.selectionBar.hidden = true;
    this.selectionCount = el('span', 'selection-count');
    this.selectionCount.setAttribute('role', 'status');
    this.selectionBar.append(this.selectionCount);
    for (const [action, label] of SELECTION_ACTIONS) {
      const b = button(label, `selected-${action}`, () => {
        const ids = this.applicable(action);
        if (ids.length > 0) callbacks.onSelection(action, ids);
      });
      this.selectionButtons.set(action, b);
      this.selectionBar.append(b);
    }
    this.selectionBar.append(button('Clear selection', 'selected-clear', () => this.clearSelection()));

    this.element.append(toolbar, this.noticeEl, this.dropHint, this.totalsEl, this.selectionBar, this.header, this.list, this.detail.element);
    root.append(this.element);
  }

  /** Fills the destination chooser; keeps the choice when it still exists. */
  setDestinations(destinations: Destination[]): void {
    const chosen = this.destinationSelect.value;
    const options = [el('option', undefined, 'Default destination')];
    options[0]!.value = '';
    for (const p of destinations) {
      const option = el('option', undefined, p.kind === 'local' ? `${p.name} (folder)` : `${p.name} (${p.bucket || 'no bucket'})`);
      option.value = p.name;
      options.push(option);
    }
    this.destinationSelect.replaceChildren(...options);
    this.destinationSelect.value = destinations.some((p) => p.name === chosen) ? chosen : '';
  }

  render(state: QueueState): void {
    this.state = state;
    this.summaryEl.textContent = summary(state.jobs);
    const status = statusLine(state);
    this.statusEl.textContent = status ?? '';
    this.statusEl.title = status ?? '';
    this.statusEl.hidden = status === null;
    this.statusEl.classList.toggle('offline', !state.online);
    this.noticeEl.hidden = state.notice === null;
    this.noticeEl.dataset['kind'] = state.notice?.kind ?? '';
    this.noticeText.textContent = state.notice?.text ?? '';
    this.element.classList.toggle('dropping', state.dropActive);
    this.element.classList.toggle('empty', state.jobs.length === 0);
    this.totalsEl.textContent = totalsLine(totals(state));
    if (this.filterSelect.value !== state.filter) this.filterSelect.value = state.filter;
    for (const id of this.selected) if (!state.jobs.get(id)) this.selected.delete(id);
    this.renderRows(state);
    this.paintSelectionBar();
    if (this.detail.shownId !== null) {
      const job = state.jobs.get(this.detail.shownId);
      if (job) this.detail.update(job);
      else this.detail.close();
    }
  }

  private filtered(state: QueueState): ShownJobs {
    return visibleJobs(state);
  }

  /** Draws the rows in the scrolled-to window only. */
  private renderRows(state: QueueState): void {
    const jobs = this.filtered(state);
    this.list.hidden = jobs.length === 0;
    this.header.hidden = jobs.length === 0;
    this.spacer.style.height = `${jobs.length * ROW_HEIGHT}px`;
    const height = this.list.clientHeight || FALLBACK_HEIGHT;
    const first = Math.max(0, Math.floor(this.list.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(jobs.length, Math.ceil((this.list.scrollTop + height) / ROW_HEIGHT) + OVERSCAN);
    const seen = new Set<JobId>();
    for (let i = first; i < last; i++) {
      const job = jobs.at(i);
      seen.add(job.id);
      let row = this.rowEls.get(job.id);
      if (!row) {
        row = this.createRow(job.id);
        this.rowEls.set(job.id, row);
        this.list.append(row.row);
      }
      row.row.style.top = `${i * ROW_HEIGHT}px`;
      row.row.dataset['index'] = String(i);
      row.row.classList.toggle('selected', this.selected.has(job.id));
      this.updateRow(row, rowView(job, state.progress.get(job.id), state.busy.has(job.id), Date.now(), state.watchNames));
    }
    for (const [id, row] of this.rowEls) {
      if (!seen.has(id)) {
        row.row.remove();
        this.rowEls.delete(id);
      }
    }
  }

  /** Arrow keys move between rows (scrolling as needed); Delete removes a finished job. */
  private onKey(event: KeyboardEvent): void {
    const row = (event.target as Element | null)?.closest<HTMLElement>('.row');
    if (!this.state || (!row && event.target !== this.list)) return;
    // From the list itself, the first arrow goes to the first row.
    const index = row ? Number(row.dataset['index']) : -1;
    const jobs = this.filtered(this.state);
    if (event.key === 'a' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      for (let i = 0; i < jobs.length; i++) this.selected.add(jobs.at(i).id);
      return this.repaint();
    }
    if (event.key === 'Escape' && this.selected.size > 0) return this.clearSelection();
    if (event.key === ' ' && row) {
      event.preventDefault();
      return this.select(Number(row.dataset['id']), event.shiftKey, true);
    }
    let next: number;
    if (event.key === 'ArrowDown') next = Math.min(jobs.length - 1, index + 1);
    else if (event.key === 'ArrowUp') next = Math.max(0, index - 1);
    else if (!row && event.key !== 'Home' && event.key !== 'End') return;
    else if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = jobs.length - 1;
    else if (event.key === 'Delete') {
      const job = index < jobs.length ? jobs.at(index) : undefined;
      if (job && ['completed', 'failed', 'cancelled'].includes(job.state)) this.callbacks.onAction('remove', job.id);
      return;
    } else return;
    event.preventDefault();
    const top = next * ROW_HEIGHT;
    const height = this.list.clientHeight || FALLBACK_HEIGHT;
    if (top < this.list.scrollTop) this.list.scrollTop = top;
    else if (top + ROW_HEIGHT > this.list.scrollTop + height) this.list.scrollTop = top + ROW_HEIGHT - height;
    this.renderRows(this.state);
    if (next >= 0 && next < jobs.length) this.rowEls.get(jobs.at(next).id)?.row.focus();
  }

  /** A click on a row: it alone; with `toggle` (Ctrl/⌘) in or out of the selection; with
   * `range` (Shift) every row from the last one clicked to it, in the order shown. */
  private select(id: JobId, range: boolean, toggle: boolean): void {
    if (!this.state) return;
    if (range && this.anchor !== null) {
      const jobs = this.filtered(this.state);
      let from = -1;
      let to = -1;
      for (let i = 0; i < jobs.length; i++) {
        const at = jobs.at(i).id;
        if (at === this.anchor) from = i;
        if (at === id) to = i;
      }
      if (from >= 0 && to >= 0) {
        if (!toggle) this.selected.clear();
        for (let i = Math.min(from, to); i <= Math.max(from, to); i++) this.selected.add(jobs.at(i).id);
        return this.repaint();
      }
    }
    if (toggle) {
      if (!this.selected.delete(id)) this.selected.add(id);
    } else {
      this.selected.clear();
      this.selected.add(id);
    }
    this.anchor = id;
    this.repaint();
  }

  private clearSelection(): void {
    this.selected.clear();
    this.anchor = null;
    this.repaint();
  }

  private repaint(): void {
    if (!this.state) return;
    this.renderRows(this.state);
    this.paintSelectionBar();
  }

  /** The selected jobs whose state `action` applies to (as their rows' buttons say). */
  private applicable(action: SelectionAction): JobId[] {
    const ids: JobId[] = [];
    for (const id of this.selected) {
      const job = this.state?.jobs.get(id);
      if (job && actionsFor(job.state, job.direction).includes(action)) ids.push(id);
    }
    return ids;
  }

  private paintSelectionBar(): void {
    this.selectionBar.hidden = this.selected.size === 0;
    if (this.selected.size === 0) return;
    this.selectionCount.textContent = `${this.selected.size} selected`;
    for (const [action, b] of this.selectionButtons) {
      const count = this.applicable(action).length;
      b.disabled = count === 0;
      b.title = count === 0 ? 'None of the selected jobs' : `${count} of the selected jobs`;
    }
  }

  /** The selected jobs, in no order (for tests and the controller). */
  get selection(): JobId[] {
    return [...this.selected];
  }

  private createRow(id: JobId): RowElements {
    const row = el('div', 'row');
    row.dataset['id'] = String(id);
    row.setAttribute('role', 'listitem');
    row.tabIndex = -1;
    const file = el('div', 'cell file-cell');
    const name = el('div', 'file');
    const key = el('div', 'key');
    const watch = el('span', 'watch-tag');
    watch.hidden = true;
    const keyLine = el('div', 'key-line');
    keyLine.append(watch, key);
    file.append(name, keyLine);
    const stateCell = el('div', 'cell state');
    const badge = el('span', 'badge');
    const attempts = el('div', 'attempts');
    stateCell.append(badge, attempts);
    const progressCell = el('div', 'cell progress');
    const bar = el('progress');
    bar.max = 100;
    const line = el('div', 'progress-line');
    const detail = el('span', 'detail');
    const speed = el('span', 'speed');
    line.append(detail, speed);
    const message = el('div', 'message');
    const details = button('Details', 'show-detail');
    details.dataset['detail'] = String(id);
    details.hidden = true;
    details.tabIndex = -1;
    const messageLine = el('div', 'message-line');
    messageLine.append(message, details);
    progressCell.append(bar, line, messageLine);
    const actions = el('div', 'cell actions');
    row.append(file, stateCell, progressCell, actions);
    return { row, name, key, watch, badge, attempts, bar, detail, speed, message, details, actions, last: null };
  }

  private updateRow(row: RowElements, view: RowView): void {
    const last = row.last;
    if (last?.name !== view.name || last.path !== view.path) {
      row.name.textContent = view.name;
      row.name.title = view.path;
      row.bar.setAttribute('aria-label', `Progress of ${view.name}`);
    }
    if (last?.destination !== view.destination) {
      row.key.textContent = view.destination;
      row.key.title = view.destination;
    }
    if (last?.watch !== view.watch) {
      row.watch.textContent = view.watch ?? '';
      row.watch.hidden = view.watch === null;
    }
    if (last?.state !== view.state) {
      row.row.dataset['state'] = view.state;
      row.row.dataset['direction'] = view.direction;
      row.badge.className = `badge state-${view.state}`;
      row.badge.textContent = view.stateLabel;
    }
    if (last?.attempts !== view.attempts) row.attempts.textContent = view.attempts;
    if (last?.percent !== view.percent) {
      row.bar.value = view.percent;
      row.bar.textContent = `${view.percent}%`;
    }
    if (last?.detail !== view.detail) row.detail.textContent = view.detail;
    if (last?.speed !== view.speed) row.speed.textContent = view.speed;
    const message = view.error ?? view.note;
    if ((last?.error ?? last?.note ?? null) !== message || last?.state !== view.state) {
      row.message.textContent = message ?? '';
      row.message.title = message ?? '';
      row.message.hidden = message === null;
      row.message.className = view.error !== null ? 'message error' : 'message note';
      row.details.hidden = message === null && view.verified === null;
      row.details.setAttribute('aria-label', `Details of ${view.name}`);
    }
    if (last?.busy !== view.busy || last.actions.join() !== view.actions.join()) {
      row.actions.replaceChildren(
        ...view.actions.map((action) => {
          const b = button(ACTION_LABELS[action], `action action-${action}`);
          b.dataset['action'] = action;
          b.dataset['id'] = String(view.id);
          b.disabled = view.busy;
          b.tabIndex = this.focusedId === view.id ? 0 : -1;
          b.setAttribute('aria-label', `${ACTION_LABELS[action]} ${view.name}`);
          return b;
        }),
      );
    }
    row.last = view;
  }
}

/** For tests: the state a row shows. */
export function stateOf(row: HTMLElement): JobState | undefined {
  return row.dataset['state'] as JobState | undefined;
}

export type { Notice };
