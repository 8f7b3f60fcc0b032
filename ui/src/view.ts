// The queue window's DOM. Rows are keyed by job id and updated in place, so a progress tick
// touches a few text nodes instead of rebuilding the table. Buttons are handled by one delegated
// listener that reports (action, id) to the app.
import type { Action, Notice, QueueState, RowView } from './state';
import { rows, statusLine, summary } from './state';
import type { JobId } from './ipc/types';

const ACTION_LABELS: Record<Action, string> = {
  pause: 'Pause',
  resume: 'Resume',
  retry: 'Retry',
  cancel: 'Cancel',
};

interface RowElements {
  tr: HTMLTableRowElement;
  name: HTMLElement;
  key: HTMLElement;
  badge: HTMLElement;
  bar: HTMLProgressElement;
  detail: HTMLElement;
  error: HTMLElement;
  actions: HTMLElement;
  last: RowView | null;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export interface ViewCallbacks {
  onAction(action: Action, id: JobId): void;
  onDismissNotice(): void;
}

export class QueueView {
  private readonly summaryEl: HTMLElement;
  private readonly statusEl: HTMLElement;
  private readonly noticeEl: HTMLElement;
  private readonly noticeText: HTMLElement;
  private readonly dropHint: HTMLElement;
  private readonly table: HTMLTableElement;
  private readonly tbody: HTMLTableSectionElement;
  private readonly rowEls = new Map<JobId, RowElements>();

  constructor(
    private readonly root: HTMLElement,
    callbacks: ViewCallbacks,
  ) {
    root.replaceChildren();
    root.classList.add('hoist');

    const header = el('header', 'app-header');
    header.append(el('h1', 'title', 'Hoist'));
    this.summaryEl = el('span', 'summary');
    this.statusEl = el('span', 'status');
    this.statusEl.setAttribute('role', 'status');
    header.append(this.summaryEl, this.statusEl);

    this.noticeEl = el('div', 'notice');
    this.noticeEl.hidden = true;
    this.noticeEl.setAttribute('role', 'alert');
    this.noticeText = el('span', 'notice-text');
    const dismiss = el('button', 'notice-dismiss', '×');
    dismiss.type = 'button';
    dismiss.title = 'Dismiss';
    dismiss.addEventListener('click', () => callbacks.onDismissNotice());
    this.noticeEl.append(this.noticeText, dismiss);

    this.dropHint = el('div', 'drop-hint', 'Drop files or folders here');

    this.table = el('table', 'jobs');
    const head = el('thead');
    const headRow = el('tr');
    for (const title of ['File', 'Key', 'State', 'Progress', '']) headRow.append(el('th', undefined, title));
    head.append(headRow);
    this.tbody = el('tbody');
    this.table.append(head, this.tbody);
    this.tbody.addEventListener('click', (event) => {
      const button = (event.target as Element | null)?.closest('button[data-action]');
      if (!(button instanceof HTMLButtonElement) || button.disabled) return;
      const id = Number(button.dataset['id']);
      callbacks.onAction(button.dataset['action'] as Action, id);
    });

    const main = el('main', 'queue');
    main.append(this.dropHint, this.table);
    root.append(header, this.noticeEl, main);
  }

  render(state: QueueState): void {
    const views = rows(state);
    this.summaryEl.textContent = summary(state.jobs);
    const status = statusLine(state);
    this.statusEl.textContent = status ?? '';
    this.statusEl.hidden = status === null;
    this.renderNotice(state.notice);
    this.root.classList.toggle('dropping', state.dropActive);
    this.root.classList.toggle('empty', views.length === 0);
    this.table.hidden = views.length === 0;
    this.renderRows(views);
  }

  private renderNotice(notice: Notice | null): void {
    this.noticeEl.hidden = notice === null;
    this.noticeEl.dataset['kind'] = notice?.kind ?? '';
    this.noticeText.textContent = notice?.text ?? '';
  }

  private renderRows(views: RowView[]): void {
    const seen = new Set<JobId>();
    let cursor: ChildNode | null = this.tbody.firstChild;
    for (const view of views) {
      seen.add(view.id);
      let row = this.rowEls.get(view.id);
      if (!row) {
        row = this.createRow(view.id);
        this.rowEls.set(view.id, row);
      }
      this.updateRow(row, view);
      if (row.tr === cursor) {
        cursor = cursor.nextSibling;
      } else {
        this.tbody.insertBefore(row.tr, cursor);
      }
    }
    for (const [id, row] of this.rowEls) {
      if (!seen.has(id)) {
        row.tr.remove();
        this.rowEls.delete(id);
      }
    }
  }

  private createRow(id: JobId): RowElements {
    const tr = el('tr');
    tr.dataset['id'] = String(id);
    const name = el('td', 'file');
    const key = el('td', 'key');
    const stateCell = el('td', 'state');
    const badge = el('span', 'badge');
    stateCell.append(badge);
    const progressCell = el('td', 'progress');
    const bar = el('progress');
    bar.max = 100;
    const detail = el('div', 'detail');
    const error = el('div', 'error');
    progressCell.append(bar, detail, error);
    const actions = el('td', 'actions');
    tr.append(name, key, stateCell, progressCell, actions);
    return { tr, name, key, badge, bar, detail, error, actions, last: null };
  }

  private updateRow(row: RowElements, view: RowView): void {
    const last = row.last;
    if (last?.name !== view.name || last.path !== view.path) {
      row.name.textContent = view.name;
      row.name.title = view.path;
    }
    if (last?.key !== view.key || last.destination !== view.destination) {
      row.key.textContent = view.key;
      row.key.title = view.destination;
    }
    if (last?.state !== view.state) {
      row.tr.dataset['state'] = view.state;
      row.badge.className = `badge state-${view.state}`;
      row.badge.textContent = view.stateLabel;
    }
    if (last?.percent !== view.percent) {
      row.bar.value = view.percent;
      row.bar.textContent = `${view.percent}%`;
    }
    if (last?.detail !== view.detail) row.detail.textContent = view.detail;
    if (last?.error !== view.error) {
      row.error.textContent = view.error ?? '';
      row.error.hidden = view.error === null;
    }
    if (last?.busy !== view.busy || last.actions.join() !== view.actions.join()) {
      row.actions.replaceChildren(
        ...view.actions.map((action) => {
          const button = el('button', `action action-${action}`, ACTION_LABELS[action]);
          button.type = 'button';
          button.dataset['action'] = action;
          button.dataset['id'] = String(view.id);
          button.disabled = view.busy;
          return button;
        }),
      );
    }
    row.last = view;
  }
}
