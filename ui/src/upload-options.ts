// A destination's upload options as form fields (the Destinations form's "Upload options"):
// key template, Content-Type from the extension, ACL, storage class, Cache-Control, and what an
// upload does when its key holds an object. The core checks them (`UploadOptions::check`); this
// only turns fields into the value and back.
import type { IfExists, UploadOptions } from './ipc/types';
import { el } from './dom';

export const DEFAULT_OPTIONS: UploadOptions = {
  key_template: null,
  detect_content_type: true,
  acl: null,
  storage_class: null,
  cache_control: null,
  if_exists: 'overwrite',
};

const IF_EXISTS: [IfExists, string][] = [
  ['overwrite', 'Overwrite it'],
  ['skip', 'Skip the file'],
  ['rename', 'Upload under a free name'],
];

/** Blank is "none". */
function text(value: string): string | null {
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

export function sameOptions(a: UploadOptions, b: UploadOptions): boolean {
  return (Object.keys(DEFAULT_OPTIONS) as (keyof UploadOptions)[]).every((k) => a[k] === b[k]);
}

export class UploadOptionsFields {
  readonly element: HTMLElement;
  private readonly template = el('input');
  private readonly acl = el('input');
  private readonly storageClass = el('input');
  private readonly cacheControl = el('input');
  private readonly ifExists = el('select');
  private readonly contentType = el('input');

  constructor() {
    this.element = el('fieldset', 'upload-options');
    const field = (label: string, control: HTMLElement, name: string, hint?: string) => {
      control.setAttribute('name', name);
      const wrapper = el('label', 'field');
      wrapper.append(el('span', 'field-label', label), control);
      if (hint) wrapper.append(el('span', 'field-hint', hint));
      return wrapper;
    };
    for (const [input, placeholder] of [
      [this.template, '{prefix}{path}'],
      [this.acl, 'none (e.g. public-read)'],
      [this.storageClass, "the bucket's (e.g. STANDARD_IA)"],
      [this.cacheControl, 'none (e.g. max-age=3600)'],
    ] as const) {
      input.type = 'text';
      input.autocomplete = 'off';
      input.placeholder = placeholder;
    }
    for (const [value, label] of IF_EXISTS) {
      const option = el('option', undefined, label);
      option.value = value;
      this.ifExists.append(option);
    }
    this.contentType.type = 'checkbox';
    this.element.append(
      el('legend', undefined, 'Upload options'),
      field(
        'Key template',
        this.template,
        'key_template',
        'placeholders: {prefix} {path} {dir} {name} {stem} {ext} {date} {year} {month} {day} {time} {uuid} {batch}',
      ),
      field('When the key holds an object', this.ifExists, 'if_exists'),
      field('Storage class', this.storageClass, 'storage_class'),
      field('ACL', this.acl, 'acl'),
      field('Cache-Control', this.cacheControl, 'cache_control'),
      field('Content-Type from the file name', this.contentType, 'detect_content_type'),
    );
    this.show(DEFAULT_OPTIONS);
  }

  show(options: UploadOptions): void {
    this.template.value = options.key_template ?? '';
    this.acl.value = options.acl ?? '';
    this.storageClass.value = options.storage_class ?? '';
    this.cacheControl.value = options.cache_control ?? '';
    this.ifExists.value = options.if_exists;
    this.contentType.checked = options.detect_content_type;
  }

  value(): UploadOptions {
    const rule = IF_EXISTS.find(([value]) => value === this.ifExists.value)?.[0] ?? 'overwrite';
    return {
      key_template: text(this.template.value),
      detect_content_type: this.contentType.checked,
      acl: text(this.acl.value),
      storage_class: text(this.storageClass.value),
      cache_control: text(this.cacheControl.value),
      if_exists: rule,
    };
  }
}
