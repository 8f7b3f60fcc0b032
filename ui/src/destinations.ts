// The Destinations view: the list of destinations with Edit, Test connection and Remove, and one
// form for adding and editing (provider presets, S3 or folder). Secret fields are write-only:
// they start empty, are sent once when filled, and nothing the shell returns holds a secret.
import type { Ipc, Preset, ConnectionReport, Destination, DestinationEdit, DestinationForm, Provider } from './ipc/types';
import { errorText } from './ipc/types';

/** The fields that are set, as the Rust side takes them: a field left out, never an undefined
 * one. Every field must be named, so a new Rust field cannot be forgotten here. */
function setFields<T extends object>(fields: { [K in keyof T]-?: T[K] | undefined }): T {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as T;
}

/** A folder destination's form leaves every S3 field out. */
const NO_FORM_FIELDS = {
  provider: undefined,
  endpoint: undefined,
  region: undefined,
  account_id: undefined,
  bucket: undefined,
  path_style: undefined,
  access_key_id: undefined,
  secret_access_key: undefined,
  options: undefined,
} as const;
import { button, el, FormMessage } from './dom';
import { AwsImportPanel } from './aws-import';
import { DEFAULT_OPTIONS, sameOptions, UploadOptionsFields } from './upload-options';

/** Which form fields a provider needs (the rest come from its preset). */
export function fieldsFor(kind: 's3' | 'local', provider: string): Set<string> {
  if (kind === 'local') return new Set(['name', 'folder', 'prefix']);
  const fields = new Set(['name', 'provider', 'bucket', 'prefix', 'path_style', 'access_key_id', 'secret_access_key']);
  if (['minio', 'garage', 'generic', ''].includes(provider)) fields.add('endpoint');
  if (provider !== 'r2') fields.add('region');
  if (provider === 'r2') fields.add('account_id');
  return fields;
}

/** One line per capability for the list ("tested: multipart, presign; not: ACL"). */
export function describeCapabilities(destination: Destination): string {
  const caps = destination.capabilities;
  if (!caps) return 'not tested yet';
  const all: [string, boolean][] = [
    ['multipart', caps.multipart],
    ['ListParts', caps.list_parts],
    ['Content-MD5', caps.content_md5],
    ['checksums', caps.checksum_headers],
    ['presign', caps.presign],
    ['ACL', caps.acl],
  ];
  const no = all.filter(([, on]) => !on).map(([n]) => n);
  return no.length === 0 ? 'tested: everything works' : `tested: no ${no.join(', ')}`;
}

/** The form's text fields; a typo in a field's name fails the type check. */
type Field = 'name' | 'provider' | 'endpoint' | 'region' | 'account_id' | 'bucket' | 'prefix' | 'folder' | 'access_key_id' | 'secret_access_key';

const LABELS: Record<Field, string> = {
  name: 'Name',
  provider: 'Provider',
  endpoint: 'Endpoint URL',
  region: 'Region',
  account_id: 'Cloudflare account id',
  bucket: 'Bucket',
  prefix: 'Key prefix',
  folder: 'Folder',
  access_key_id: 'Access key id',
  secret_access_key: 'Secret access key',
};

export class DestinationsView {
  readonly element: HTMLElement;
  private readonly listEl: HTMLElement;
  private readonly form: HTMLFormElement;
  private readonly formTitle: HTMLElement;
  private readonly message = new FormMessage();
  private readonly testEl: HTMLElement;
  private readonly inputs = new Map<Field, HTMLInputElement | HTMLSelectElement>();
  private readonly kindSelect: HTMLSelectElement;
  private readonly pathStyle: HTMLInputElement;
  private readonly options = new UploadOptionsFields();
  private editing: Destination | null = null;
  /** A folder was chosen in the system's picker since the form was (re)started; Rust keeps it. */
  private folderPicked = false;
  destinations: Destination[] = [];

  constructor(
    root: HTMLElement,
    private readonly ipc: Ipc,
    private readonly onChanged: (destinations: Destination[]) => void,
  ) {
    this.element = el('section', 'destinations-view');
    this.listEl = el('div', 'destination-list');
    this.listEl.setAttribute('role', 'list');
    this.testEl = el('div', 'connection-test');
    this.testEl.setAttribute('aria-live', 'polite');

    this.form = el('form', 'destination-form');
    this.formTitle = el('h2', undefined, 'Add a destination');
    this.kindSelect = el('select');
    this.kindSelect.name = 'kind';
    for (const [value, label] of [
      ['s3', 'S3-compatible bucket'],
      ['local', 'Folder on this computer'],
    ]) {
      const option = el('option', undefined, label);
      option.value = value!;
      this.kindSelect.append(option);
    }
    this.form.append(this.formTitle, this.labelled('Type', this.kindSelect));
    for (const field of Object.keys(LABELS) as Field[]) {
      const input = field === 'provider' ? el('select') : el('input');
      input.name = field;
      if (input instanceof HTMLInputElement) {
        input.type = field === 'secret_access_key' ? 'password' : 'text';
        input.autocomplete = 'off';
      }
      this.inputs.set(field, input);
      if (field === 'folder' && input instanceof HTMLInputElement) {
        // Shown, never sent: the folder is picked in the system's picker and kept by Rust.
        input.readOnly = true;
        input.placeholder = 'no folder chosen';
        const choose = button('Choose folder…', 'choose-folder', () => void this.chooseFolder());
        const label = this.labelled(LABELS[field], input, field);
        label.append(choose);
        this.form.append(label);
        continue;
      }
      this.form.append(this.labelled(LABELS[field], input, field));
    }
    this.pathStyle = el('input');
    this.pathStyle.type = 'checkbox';
    this.pathStyle.name = 'path_style';
    this.form.append(this.labelled('Path-style addressing (MinIO, Garage)', this.pathStyle, 'path_style'), this.options.element);
    const save = el('button', 'save', 'Save');
    save.type = 'submit';
    const cancel = button('Cancel', 'cancel-edit', () => this.startAdd());
    this.form.append(el('div', 'form-buttons'));
    this.form.lastElementChild!.append(save, cancel);
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.save();
    });
    this.kindSelect.addEventListener('change', () => this.showFields());
    this.inputs.get('provider')!.addEventListener('change', () => this.showFields());

    const awsImport = new AwsImportPanel(this.ipc, () => void this.reloadList());
    const openImport = button('Import from AWS CLI…', 'open-import', () => void awsImport.open());
    this.element.append(el('h2', undefined, 'Destinations'), this.listEl, openImport, awsImport.element, this.testEl, this.form, this.message.element);
    root.append(this.element);
    this.startAdd();
  }

  private labelled(text: string, input: HTMLElement, field?: string): HTMLElement {
    const label = el('label', 'field');
    if (field) label.dataset['field'] = field;
    label.append(el('span', 'field-label', text), input);
    return label;
  }

  async load(): Promise<void> {
    try {
      const [destinations, presets] = await Promise.all([this.ipc.listDestinations(), this.ipc.listPresets()]);
      this.setPresets(presets);
      this.setDestinations(destinations);
    } catch (e) {
      this.message.say(errorText(e), 'error');
    }
  }

  private async reloadList(): Promise<void> {
    try {
      this.setDestinations(await this.ipc.listDestinations());
    } catch (e) {
      this.message.say(errorText(e), 'error');
    }
  }

  private setPresets(presets: Preset[]): void {
    const select = this.inputs.get('provider') as HTMLSelectElement;
    const none = el('option', undefined, 'Other (enter the endpoint)');
    none.value = '';
    select.replaceChildren(
      none,
      ...presets.map((p) => {
        const option = el('option', undefined, p.id);
        option.value = p.id;
        return option;
      }),
    );
  }

  setDestinations(destinations: Destination[]): void {
    this.destinations = destinations;
    this.listEl.replaceChildren(
      ...destinations.map((p) => {
        const item = el('div', 'destination');
        item.setAttribute('role', 'listitem');
        item.dataset['name'] = p.name;
        const where = p.kind === 'local' ? `folder ${p.folder ?? ''}` : `${p.bucket || '(no bucket)'} at ${p.endpoint ?? 'AWS'} (${p.region})`;
        item.append(
          el('strong', 'destination-name', p.builtin ? `${p.name} (built-in)` : p.name),
          el('span', 'destination-where', where),
          el('span', 'destination-tested', describeCapabilities(p)),
          button('Edit', 'edit', () => this.startEdit(p)),
          button('Test connection', 'test', () => void this.test(p.name)),
          button('Remove', 'remove', () => this.askRemove(p, item)),
        );
        return item;
      }),
    );
    this.onChanged(destinations);
  }

  private showFields(): void {
    const kind = this.kindSelect.value as 's3' | 'local';
    const provider = this.inputs.get('provider')!.value;
    const shown = fieldsFor(kind, provider);
    for (const label of this.form.querySelectorAll<HTMLElement>('label[data-field]')) {
      label.hidden = !shown.has(label.dataset['field']!);
    }
  }

  private async chooseFolder(): Promise<void> {
    try {
      const folder = await this.ipc.chooseDestinationFolder();
      if (folder === null) return;
      this.inputs.get('folder')!.value = folder;
      this.folderPicked = true;
    } catch (e) {
      this.message.say(errorText(e), 'error');
    }
  }

  startAdd(): void {
    this.editing = null;
    this.folderPicked = false;
    this.formTitle.textContent = 'Add a destination';
    this.form.reset();
    this.kindSelect.disabled = false;
    for (const input of this.inputs.values()) input.value = '';
    this.pathStyle.checked = false;
    this.options.show(DEFAULT_OPTIONS);
    (this.inputs.get('secret_access_key') as HTMLInputElement).placeholder = '';
    this.showFields();
  }

  startEdit(destination: Destination): void {
    this.editing = destination;
    this.folderPicked = false;
    this.formTitle.textContent = `Edit ${destination.name}`;
    this.kindSelect.value = destination.kind;
    this.kindSelect.disabled = true;
    const values: Record<Field, string> = {
      name: destination.name,
      provider: destination.provider ?? '',
      endpoint: destination.endpoint ?? '',
      region: destination.region,
      account_id: '',
      bucket: destination.bucket,
      prefix: destination.prefix,
      folder: destination.folder ?? '',
      // Write-only: a stored key is never shown; typing a new pair replaces it.
      access_key_id: '',
      secret_access_key: '',
    };
    for (const [field, input] of this.inputs) input.value = values[field];
    (this.inputs.get('secret_access_key') as HTMLInputElement).placeholder = 'unchanged (type to replace)';
    this.pathStyle.checked = destination.path_style;
    this.options.show(destination.options);
    this.showFields();
  }

  private value(field: Field): string | undefined {
    const label = this.form.querySelector<HTMLElement>(`label[data-field="${field}"]`);
    if (label?.hidden) return undefined;
    const v = this.inputs.get(field)!.value.trim();
    return v === '' ? undefined : v;
  }

  /** The add form's values, or a message naming what is missing. */
  formValues(): DestinationForm | string {
    const kind = this.kindSelect.value as 's3' | 'local';
    const name = this.value('name');
    if (!name) return 'Enter a name for the destination.';
    if (kind === 'local') {
      if (!this.folderPicked) return 'Choose the folder to upload into.';
      return setFields<DestinationForm>({ ...NO_FORM_FIELDS, name, kind, prefix: this.value('prefix') ?? '', options: this.chosenOptions() });
    }
    // The select's options are the presets' ids (listPresets).
    const provider = this.value('provider') as Provider | undefined;
    if (!this.value('bucket')) return 'Enter the bucket name.';
    if (!provider && !this.value('endpoint')) return 'Choose a provider or enter the endpoint URL.';
    if (provider === 'r2' && !this.value('account_id')) return 'Enter your Cloudflare account id.';
    if (!this.value('access_key_id') || !this.value('secret_access_key')) return 'Enter the access key id and the secret access key.';
    return setFields<DestinationForm>({
      name,
      kind,
      provider,
      endpoint: this.value('endpoint'),
      region: this.value('region'),
      account_id: this.value('account_id'),
      bucket: this.value('bucket'),
      path_style: this.pathStyle.checked,
      prefix: this.value('prefix') ?? '',
      access_key_id: this.value('access_key_id'),
      secret_access_key: this.value('secret_access_key'),
      options: this.chosenOptions(),
    });
  }

  /** The upload options, when they are not the defaults (a new destination without them gets
   * the defaults anyway). */
  private chosenOptions(): DestinationForm['options'] {
    const options = this.options.value();
    return sameOptions(options, DEFAULT_OPTIONS) ? undefined : options;
  }

  /** What the edit form changed: only fields shown for this destination and different from its
   * saved values. A field the preset hides is never sent, so an edit cannot clear it. */
  changes(p: Destination): DestinationEdit {
    const changed = (field: Field, saved: string): string | undefined => {
      const v = this.value(field);
      return v !== undefined && v !== saved ? v : undefined;
    };
    const prefix = this.inputs.get('prefix')!.value.trim();
    return setFields<DestinationEdit>({
      rename: changed('name', p.name),
      endpoint: p.kind === 's3' ? changed('endpoint', p.endpoint ?? '') : undefined,
      region: p.kind === 's3' ? changed('region', p.region) : undefined,
      bucket: p.kind === 's3' ? changed('bucket', p.bucket) : undefined,
      path_style: p.kind === 's3' && this.pathStyle.checked !== p.path_style ? this.pathStyle.checked : undefined,
      prefix: prefix !== p.prefix ? prefix : undefined,
      folder_picked: p.kind === 'local' && this.folderPicked ? true : undefined,
      access_key_id: this.value('access_key_id'),
      secret_access_key: this.value('secret_access_key'),
      options: sameOptions(this.options.value(), p.options) ? undefined : this.options.value(),
    });
  }

  private async save(): Promise<void> {
    try {
      if (this.editing) {
        const p = this.editing;
        const edit = this.changes(p);
        await this.ipc.editDestination(p.name, edit);
        this.message.say(`Saved ${edit.rename ?? p.name}.`, 'info');
      } else {
        const form = this.formValues();
        if (typeof form === 'string') return this.message.say(form, 'error');
        await this.ipc.addDestination(form);
        this.message.say(`Added ${form.name}.`, 'info');
      }
      this.startAdd();
      this.setDestinations(await this.ipc.listDestinations());
    } catch (e) {
      this.message.say(errorText(e), 'error');
    }
  }

  private async test(name: string): Promise<void> {
    this.testEl.replaceChildren(el('p', undefined, `Testing ${name}…`));
    try {
      const report = await this.ipc.testDestination(name);
      this.showTest(report);
      this.setDestinations(await this.ipc.listDestinations());
    } catch (e) {
      this.testEl.replaceChildren(el('p', 'error', errorText(e)));
    }
  }

  showTest(report: ConnectionReport): void {
    const usable = !report.steps.some((s) => s.blocking && s.outcome !== 'ok');
    const list = el('ul', 'connection-steps');
    for (const step of report.steps) {
      const item = el('li', `connection-step outcome-${step.outcome}`);
      item.append(
        el('span', 'connection-mark', step.outcome === 'ok' ? '✓' : step.outcome === 'failed' ? '✗' : '–'),
        el('span', 'connection-name', step.name),
        el('span', 'connection-detail', step.detail),
      );
      list.append(item);
    }
    this.testEl.replaceChildren(el('h3', undefined, `${report.destination}: ${usable ? 'works' : 'does not work yet'}`), list);
  }

  /** Removing a destination forgets its keys: asked first, in its own row. */
  private askRemove(destination: Destination, item: HTMLElement): void {
    item.querySelector('.confirm-delete')?.remove();
    const ask = el('div', 'confirm-delete');
    ask.setAttribute('role', 'alertdialog');
    ask.setAttribute('aria-label', `Remove ${destination.name}?`);
    const keep = button('Keep', 'confirm-no', () => ask.remove());
    const yes = button('Remove', 'confirm-yes', () => {
      ask.remove();
      void this.remove(destination.name);
    });
    const what = destination.kind === 'local' ? 'The files in its folder stay.' : 'Its keys leave the keychain; the objects in the bucket stay.';
    ask.append(el('span', 'confirm-question', `Remove ${destination.name}? ${what}`), yes, keep);
    item.append(ask);
    keep.focus();
  }

  private async remove(name: string): Promise<void> {
    try {
      await this.ipc.removeDestination(name);
      this.message.say(`Removed ${name}.`, 'info');
      this.setDestinations(await this.ipc.listDestinations());
    } catch (e) {
      this.message.say(errorText(e), 'error');
    }
  }
}
