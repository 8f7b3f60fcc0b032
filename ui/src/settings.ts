// The Settings view: concurrent transfers, part size, upload and download limits, notifications, close to tray,
// start minimized, following symbolic links, pausing on metered connections. Stored in the database by the shell; a value the core refuses is reported and
// nothing is saved. Starting at login is the desktop's (an autostart entry), read and written on its own.
import type { Ipc, Settings } from './ipc/types';
import { errorText } from './ipc/types';
import { el, FormMessage } from './dom';

const MIB = 1024 * 1024;

/** The form's fields as typed: text for the numbers (checked by `settingsFrom`), booleans for
 * the boxes. */
export interface SettingsInput {
  concurrency: string;
  part_size: string;
  bandwidth_limit: string;
  download_limit: string;
  notifications: boolean;
  close_to_tray: boolean;
  autostart: boolean;
  start_minimized: boolean;
  follow_links: boolean;
  pause_on_metered: boolean;
}
type TextField = { [K in keyof SettingsInput]: SettingsInput[K] extends string ? K : never }[keyof SettingsInput];
type BoxField = Exclude<keyof SettingsInput, TextField>;

/** Settings from the form's values, or a message naming the field to fix. */
export function settingsFrom(values: SettingsInput): Settings | string {
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    return 'Transfers at once must be a whole number from 1 to 64.';
  }
  const partMib = Number(values.part_size);
  if (!Number.isFinite(partMib) || partMib < 5 || partMib > 5 * 1024) {
    return 'Part size must be between 5 and 5120 MiB.';
  }
  const upload = limitFrom(values.bandwidth_limit, 'Upload limit');
  if (typeof upload === 'string') return upload;
  const download = limitFrom(values.download_limit, 'Download limit');
  if (typeof download === 'string') return download;
  return {
    concurrency,
    part_size: Math.round(partMib * MIB),
    bandwidth_limit: upload.rate,
    download_limit: download.rate,
    notifications: values.notifications,
    close_to_tray: values.close_to_tray,
    start_minimized: values.start_minimized,
    follow_links: values.follow_links,
    pause_on_metered: values.pause_on_metered,
  };
}

/** A limit field's bytes per second (null for none), or a message naming the field. */
function limitFrom(value: string, label: string): { rate: number | null } | string {
  const text = value.trim();
  const mib = text === '' ? 0 : Number(text);
  if (!Number.isFinite(mib) || mib < 0) return `${label} must be a number of MiB/s (empty or 0 for none).`;
  return { rate: mib > 0 ? Math.round(mib * MIB) : null };
}

function mibText(rate: number | null): string {
  return rate ? String(+(rate / MIB).toFixed(2)) : '';
}

export class SettingsView {
  readonly element: HTMLElement;
  private readonly form: HTMLFormElement;
  private readonly message = new FormMessage();
  private readonly texts = new Map<TextField, HTMLInputElement>();
  private readonly boxes = new Map<BoxField, HTMLInputElement>();

  constructor(
    root: HTMLElement,
    private readonly ipc: Ipc,
  ) {
    this.element = el('section', 'settings-view');
    this.form = el('form', 'settings-form');
    const add = (name: keyof SettingsInput, label: string, type: 'number' | 'checkbox' | 'text', hint?: string) => {
      const input = el('input');
      input.type = type;
      input.name = name;
      if (type === 'number') input.min = '0';
      if (type === 'checkbox') this.boxes.set(name as BoxField, input);
      else this.texts.set(name as TextField, input);
      const wrapper = el('label', 'field');
      wrapper.append(el('span', 'field-label', label), input);
      if (hint) wrapper.append(el('span', 'field-hint', hint));
      this.form.append(wrapper);
    };
    add('concurrency', 'Transfers at once', 'number', 'uploads and downloads together');
    add('part_size', 'Part size (MiB)', 'number', 'for new multipart uploads; 5 to 5120');
    add('bandwidth_limit', 'Upload limit (MiB/s)', 'text', 'all uploads together; empty for no limit');
    add('download_limit', 'Download limit (MiB/s)', 'text', 'all downloads together; empty for no limit');
    add('notifications', 'Notifications', 'checkbox');
    add('close_to_tray', 'Closing the window keeps Hoist in the tray', 'checkbox');
    add('autostart', 'Start Hoist when I log in', 'checkbox', 'minimized to the tray, so watched folders keep uploading after a restart');
    add('start_minimized', 'Start minimized to the tray', 'checkbox');
    add(
      'follow_links',
      'Follow symbolic links in added folders',
      'checkbox',
      'off: links are skipped and listed, so a link to a private file is never uploaded by surprise',
    );
    add(
      'pause_on_metered',
      'Pause transfers on metered connections',
      'checkbox',
      'a phone hotspot or mobile broadband, as NetworkManager tells; they go on by themselves on another network',
    );
    const save = el('button', 'save', 'Save settings');
    save.type = 'submit';
    this.form.append(save);
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.save();
    });
    this.element.append(el('h2', undefined, 'Settings'), this.form, this.message.element);
    root.append(this.element);
  }

  private text(field: TextField): HTMLInputElement {
    return this.texts.get(field)!;
  }

  private box(field: BoxField): HTMLInputElement {
    return this.boxes.get(field)!;
  }

  async load(): Promise<void> {
    try {
      const [settings, autostart] = await Promise.all([this.ipc.getSettings(), this.ipc.getAutostart()]);
      this.show(settings);
      this.box('autostart').checked = autostart;
    } catch (e) {
      this.message.say(errorText(e), 'error');
    }
  }

  private show(settings: Settings): void {
    this.text('concurrency').value = String(settings.concurrency);
    this.text('part_size').value = String(settings.part_size / MIB);
    this.text('bandwidth_limit').value = mibText(settings.bandwidth_limit);
    this.text('download_limit').value = mibText(settings.download_limit);
    this.box('notifications').checked = settings.notifications;
    this.box('close_to_tray').checked = settings.close_to_tray;
    this.box('start_minimized').checked = settings.start_minimized;
    this.box('follow_links').checked = settings.follow_links;
    this.box('pause_on_metered').checked = settings.pause_on_metered;
  }

  private async save(): Promise<void> {
    const settings = settingsFrom({
      concurrency: this.text('concurrency').value,
      part_size: this.text('part_size').value,
      bandwidth_limit: this.text('bandwidth_limit').value,
      download_limit: this.text('download_limit').value,
      notifications: this.box('notifications').checked,
      close_to_tray: this.box('close_to_tray').checked,
      autostart: this.box('autostart').checked,
      start_minimized: this.box('start_minimized').checked,
      follow_links: this.box('follow_links').checked,
      pause_on_metered: this.box('pause_on_metered').checked,
    });
    if (typeof settings === 'string') return this.message.say(settings, 'error');
    try {
      this.show(await this.ipc.setSettings(settings));
      const autostart = this.box('autostart');
      autostart.checked = await this.ipc.setAutostart(autostart.checked);
      this.message.say('Saved.', 'info');
    } catch (e) {
      this.message.say(errorText(e), 'error');
    }
  }
}
