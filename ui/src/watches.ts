// The Watches view: folders Hoist watches, each with its state (watching, polling, paused, a
// problem), how many files it uploaded and has pending, when it last did something, and Pause,
// Resume, Ignore rules and Remove; below, the form that adds one. The folder is chosen in the
// system's picker, which Rust opens (the web view never sends a path).
import type { Destination, IfExists, Ipc, Watch, WatchEdit, WatchForm } from './ipc/types';
import { errorText } from './ipc/types';
import { fileName } from './format';
import { button, el, FormMessage } from './dom';

/** "just now", "5 min ago", "3 h ago", "2 days ago" (for last activity). */
export function formatAgo(unixSecs: number, nowMs: number): string {
  const secs = Math.max(0, Math.round(nowMs / 1000 - unixSecs));
  if (secs < 60) return 'just now';
  if (secs < 3600) return `${Math.floor(secs / 60)} min ago`;
  if (secs < 86_400) return `${Math.floor(secs / 3600)} h ago`;
  const days = Math.floor(secs / 86_400);
  return `${days} day${days === 1 ? '' : 's'} ago`;
}

/** The state as the list shows it, with the engine's note where it has one. */
export function describeState(watch: Watch): string {
  switch (watch.state) {
    case 'starting':
      return 'Starting…';
    case 'watching':
      return 'Watching';
    case 'polling':
      return `Checking every few seconds${watch.note ? `: ${watch.note}` : ''}`;
    case 'paused':
      return 'Paused';
    case 'error':
      return `Problem: ${watch.note ?? 'the folder cannot be watched'}`;
  }
}

/** "12 uploaded · 3 pending · last activity 5 min ago". */
export function describeCounts(watch: Watch, nowMs: number): string {
  const parts = [`${watch.uploaded} uploaded`, `${watch.pending} pending`];
  parts.push(watch.active_at === null ? 'nothing uploaded yet' : `last activity ${formatAgo(watch.active_at, nowMs)}`);
  return parts.join(' · ');
}

/** Where the files go and how: "to default: bucket/scans/ · settle 2 s · local deletes keep objects". */
export function describeTarget(watch: Watch): string {
  const settle = watch.settle_ms % 1000 === 0 ? `${watch.settle_ms / 1000} s` : `${watch.settle_ms} ms`;
  const parts = [`to ${watch.destination_name}: ${watch.bucket ? `${watch.bucket}/` : ''}${watch.prefix}`, `settle ${settle}`];
  parts.push(watch.mirror_deletes ? 'local deletes delete objects' : 'local deletes keep objects');
  return parts.join(' · ');
}

/** The add form's values as the shell takes them, or a message naming the field to fix. */
export function watchFormFrom(values: {
  destination: string;
  prefix: string;
  settle: string;
  ignore: string;
  mirror: boolean;
  poll: boolean;
}): WatchForm | string {
  const settleText = values.settle.trim();
  const settle = settleText === '' ? 2 : Number(settleText);
  if (!Number.isFinite(settle) || settle < 0.1 || settle > 86_400) {
    return 'Settle time must be a number of seconds from 0.1 to 86400.';
  }
  const form: WatchForm = { settle_ms: Math.round(settle * 1000), mirror_deletes: values.mirror, poll: values.poll };
  if (values.destination) form.destination = values.destination;
  if (values.prefix.trim()) form.prefix = values.prefix.trim();
  const ignore = globsFrom(values.ignore);
  if (ignore.length > 0) form.ignore = ignore;
  return form;
}

/** The settings editor's values as the shell takes them, or a message naming the field to fix. */
export function watchEditFrom(values: {
  destination: string;
  prefix: string;
  settle: string;
  ifExists: string;
  mirror: boolean;
  poll: boolean;
}): WatchEdit | string {
  const settle = Number(values.settle.trim());
  if (values.settle.trim() === '' || !Number.isFinite(settle) || settle < 0.1 || settle > 86_400) {
    return 'Settle time must be a number of seconds from 0.1 to 86400.';
  }
  const rules: IfExists[] = ['overwrite', 'skip', 'rename'];
  const ifExists = rules.find((rule) => rule === values.ifExists) ?? null;
  return {
    destination: values.destination,
    prefix: values.prefix.trim(),
    settle_ms: Math.round(settle * 1000),
    if_exists: ifExists,
    mirror_deletes: values.mirror,
    poll: values.poll,
  };
}

/** One glob per line (commas also separate), blanks dropped. */
export function globsFrom(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((g) => g.trim())
    .filter((g) => g !== '');
}

/** A labelled control, with a hint under it. */
function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  const wrapper = el('label', 'field');
  wrapper.append(el('span', 'field-label', label), control);
  if (hint) wrapper.append(el('span', 'field-hint', hint));
  return wrapper;
}

function textInput(name: string, value = '', placeholder = ''): HTMLInputElement {
  const input = el('input');
  input.type = 'text';
  input.name = name;
  input.value = value;
  input.placeholder = placeholder;
  input.autocomplete = 'off';
  return input;
}

function checkboxInput(name: string, checked = false): HTMLInputElement {
  const input = el('input');
  input.type = 'checkbox';
  input.name = name;
  input.checked = checked;
  return input;
}

export class WatchesView {
  readonly element: HTMLElement;
  private readonly listEl: HTMLElement;
  private readonly message = new FormMessage();
  private readonly destinationSelect: HTMLSelectElement;
  private readonly inputs: Record<'prefix' | 'settle' | 'ignore', HTMLInputElement>;
  private readonly mirror: HTMLInputElement;
  private readonly poll: HTMLInputElement;
  /** The watch whose ignore rules are being edited, whose settings are, and the one asked
   * about removal. */
  private editing: number | null = null;
  private configuring: number | null = null;
  private destinations: Destination[] = [];
  private removing: number | null = null;
  watches: Watch[] = [];

  constructor(
    root: HTMLElement,
    private readonly ipc: Ipc,
    private readonly onChanged: (watches: Watch[]) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.element = el('section', 'watches-view');
    this.listEl = el('div', 'watch-list');
    this.listEl.setAttribute('role', 'list');

    const form = el('form', 'watch-form');
    this.destinationSelect = el('select');
    this.destinationSelect.name = 'destination';
    this.inputs = {
      prefix: textInput('prefix', '', "the destination's"),
      settle: textInput('settle', '', '2'),
      ignore: textInput('ignore', '', 'e.g. *.xmp, drafts/**'),
    };
    this.mirror = checkboxInput('mirror_deletes');
    this.poll = checkboxInput('poll');
    const submit = el('button', 'add-watch', 'Choose folder and watch…');
    submit.type = 'submit';
    form.append(
      el('h2', undefined, 'Watch a folder'),
      field('Destination', this.destinationSelect),
      field('Key prefix', this.inputs.prefix),
      field('Settle time (s)', this.inputs.settle, 'a file is uploaded once it has not changed for this long'),
      field('Also ignore', this.inputs.ignore, 'globs, comma separated, on top of the defaults (.DS_Store, *.tmp, *.part, …)'),
      field('Deleting a file deletes its object', this.mirror, 'only objects this watch uploaded'),
      field('Check on a timer instead of listening for changes', this.poll, 'for network drives that send no change events'),
      submit,
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.add();
    });
    this.element.append(
      el('h2', undefined, 'Watched folders'),
      el('p', 'view-intro', 'Every finished file that lands in a watched folder is uploaded, also files added while Hoist was not running.'),
      this.message.element,
      this.listEl,
      form,
    );
    root.append(this.element);
  }

  setDestinations(destinations: Destination[]): void {
    this.destinations = destinations;
    const chosen = this.destinationSelect.value;
    const byDefault = el('option', undefined, 'Default destination');
    byDefault.value = '';
    this.destinationSelect.replaceChildren(
      byDefault,
      ...destinations.map((d) => {
        const option = el('option', undefined, d.name);
        option.value = d.name;
        return option;
      }),
    );
    if (destinations.some((d) => d.name === chosen)) this.destinationSelect.value = chosen;
  }

  async load(): Promise<void> {
    try {
      this.show(await this.ipc.listWatches());
    } catch (e) {
      this.message.say(errorText(e), 'error');
    }
  }

  private show(watches: Watch[]): void {
    this.watches = watches;
    if (!watches.some((w) => w.id === this.editing)) this.editing = null;
    if (!watches.some((w) => w.id === this.removing)) this.removing = null;
    if (!watches.some((w) => w.id === this.configuring)) this.configuring = null;
    const items = watches.map((w) => this.item(w));
    if (items.length === 0) items.push(el('p', 'watch-empty', 'No folder is watched yet.'));
    // Keep an ignore-rules editor the user is typing in across reloads.
    const typing = this.listEl.querySelector<HTMLTextAreaElement>('textarea.ignore-rules');
    this.listEl.replaceChildren(...items);
    const editor = this.listEl.querySelector<HTMLTextAreaElement>('textarea.ignore-rules');
    if (typing && editor && typing.dataset['watch'] === editor.dataset['watch']) editor.value = typing.value;
    this.onChanged(watches);
  }

  private item(watch: Watch): HTMLElement {
    const item = el('div', 'watch');
    item.setAttribute('role', 'listitem');
    item.dataset['id'] = String(watch.id);
    item.dataset['state'] = watch.state;
    const toggle = watch.paused
      ? button('Resume', 'resume', () => void this.run(() => this.ipc.resumeWatch(watch.id)))
      : button('Pause', 'pause', () => void this.run(() => this.ipc.pauseWatch(watch.id)));
    const rules = button(this.editing === watch.id ? 'Hide ignore rules' : 'Ignore rules…', 'edit-ignore', () => {
      this.editing = this.editing === watch.id ? null : watch.id;
      this.show(this.watches);
    });
    const settings = button(this.configuring === watch.id ? 'Hide settings' : 'Settings…', 'edit-watch', () => {
      this.configuring = this.configuring === watch.id ? null : watch.id;
      this.show(this.watches);
    });
    const remove = button('Remove', 'remove', () => {
      this.removing = watch.id;
      this.show(this.watches);
    });
    item.append(
      el('strong', 'watch-name', fileName(watch.folder)),
      el('span', 'watch-folder', watch.folder),
      el('span', 'watch-state', describeState(watch)),
      el('span', 'watch-counts', describeCounts(watch, this.now())),
      el('span', 'watch-target', describeTarget(watch)),
      el('div', 'watch-buttons'),
    );
    item.lastElementChild!.append(toggle, settings, rules, remove);
    if (this.removing === watch.id) item.append(this.confirmRemove(watch));
    if (this.configuring === watch.id) item.append(this.settingsEditor(watch));
    if (this.editing === watch.id) item.append(this.ignoreEditor(watch));
    return item;
  }

  private confirmRemove(watch: Watch): HTMLElement {
    const box = el('div', 'confirm-remove');
    box.setAttribute('role', 'alertdialog');
    box.append(
      el('span', 'confirm-question', `Stop watching ${fileName(watch.folder)}? What it uploaded stays in the bucket.`),
      button('Stop watching', 'confirm-yes', () => {
        this.removing = null;
        void this.run(() => this.ipc.removeWatch(watch.id), `Stopped watching ${watch.folder}.`);
      }),
      button('Keep', 'confirm-no', () => {
        this.removing = null;
        this.show(this.watches);
      }),
    );
    return box;
  }

  /** Every setting of a watch but its folder and ignore rules, saved together. */
  private settingsEditor(watch: Watch): HTMLElement {
    const box = el('div', 'watch-settings');
    const destination = el('select');
    destination.name = 'edit-destination';
    for (const d of this.destinations) {
      const option = el('option', undefined, d.name);
      option.value = d.name;
      destination.append(option);
    }
    destination.value = watch.destination_name;
    const prefix = textInput('edit-prefix', watch.prefix);
    const settle = textInput('edit-settle', String(watch.settle_ms / 1000));
    const ifExists = el('select');
    ifExists.name = 'edit-if-exists';
    for (const [value, label] of [
      ['', "The destination's rule"],
      ['overwrite', 'Overwrite'],
      ['skip', 'Skip'],
      ['rename', 'Rename'],
    ] as const) {
      const option = el('option', undefined, label);
      option.value = value;
      ifExists.append(option);
    }
    ifExists.value = watch.if_exists ?? '';
    const mirror = checkboxInput('edit-mirror', watch.mirror_deletes);
    const poll = checkboxInput('edit-poll', watch.poll);
    const save = button('Save settings', 'save-watch', () => {
      const edit = watchEditFrom({
        destination: destination.value,
        prefix: prefix.value,
        settle: settle.value,
        ifExists: ifExists.value,
        mirror: mirror.checked,
        poll: poll.checked,
      });
      if (typeof edit === 'string') return this.message.say(edit, 'error');
      void this.run(async () => {
        await this.ipc.editWatch(watch.id, edit);
        this.configuring = null;
      }, 'Saved; new files go where the watch now says (those uploaded stay where they went).');
    });
    box.append(
      field('Destination', destination),
      field('Key prefix', prefix),
      field('Settle time (s)', settle),
      field('When the key holds an object', ifExists),
      field('Deleting a file deletes its object', mirror),
      field('Check on a timer', poll),
      save,
    );
    return box;
  }

  private ignoreEditor(watch: Watch): HTMLElement {
    const box = el('div', 'ignore-editor');
    const text = el('textarea', 'ignore-rules');
    text.dataset['watch'] = String(watch.id);
    text.rows = Math.min(14, Math.max(4, watch.ignore.length + 1));
    text.value = watch.ignore.join('\n');
    text.setAttribute('aria-label', `Ignore rules of ${fileName(watch.folder)}, one glob per line`);
    const save = button('Save rules', 'save-ignore', () => {
      void this.run(async () => {
        await this.ipc.setWatchIgnore(watch.id, globsFrom(text.value));
        this.editing = null;
      }, 'Saved the ignore rules; the folder is checked again with them.');
    });
    const reset = button('Reset to defaults', 'reset-ignore', () => {
      void this.ipc.defaultIgnores().then(
        (globs) => (text.value = globs.join('\n')),
        (e: unknown) => this.message.say(errorText(e), 'error'),
      );
    });
    box.append(el('span', 'field-hint', 'One glob per line: a name (*.tmp) anywhere, or a path below the folder (drafts/**).'), text, save, reset);
    return box;
  }

  private async add(): Promise<void> {
    const form = watchFormFrom({
      destination: this.destinationSelect.value,
      prefix: this.inputs.prefix.value,
      settle: this.inputs.settle.value,
      ignore: this.inputs.ignore.value,
      mirror: this.mirror.checked,
      poll: this.poll.checked,
    });
    if (typeof form === 'string') return this.message.say(form, 'error');
    try {
      const watch = await this.ipc.addWatch(form);
      if (watch === null) return;
      this.message.say(`Watching ${watch.folder}.`, 'info');
      this.inputs.ignore.value = '';
      await this.load();
    } catch (e) {
      this.message.say(errorText(e), 'error');
    }
  }

  /** Runs a command, then reloads the list; a refusal is shown and the list stays as it is. */
  private async run(command: () => Promise<unknown>, done?: string): Promise<void> {
    try {
      await command();
      if (done) this.message.say(done, 'info');
    } catch (e) {
      this.message.say(errorText(e), 'error');
    }
    await this.load();
  }
}
