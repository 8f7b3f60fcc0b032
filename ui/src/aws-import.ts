// "Import from AWS CLI" in the Destinations view: the AWS CLI's profiles on this computer, as
// the core reads ~/.aws/credentials, ~/.aws/config and the AWS_* variables, each with the
// destination it would become. The rules (which profiles, their names, why one cannot be
// imported) are the core's, shared with `hoist destination import-aws`. No key reaches this
// page: the core shows the key id's last 4 characters and moves the pair to the keychain itself.
import type { AwsImport, Destination, Ipc } from './ipc/types';
import { errorText } from './ipc/types';
import { button, el, FormMessage } from './dom';

export class AwsImportPanel {
  readonly element: HTMLElement;
  private readonly list: HTMLElement;
  private readonly message = new FormMessage();

  constructor(
    private readonly ipc: Ipc,
    private readonly imported: (destination: Destination) => void,
  ) {
    this.element = el('section', 'aws-import');
    this.element.hidden = true;
    this.element.setAttribute('aria-label', 'Import from AWS CLI');
    this.list = el('ul', 'aws-profiles');
    const close = button('Close', 'close-import', () => (this.element.hidden = true));
    this.element.append(
      el('h3', undefined, 'Import from AWS CLI'),
      el(
        'p',
        'field-hint',
        'Profiles with an access key pair become destinations; their keys go to the keychain. AWS profiles name no bucket: give one here or later.',
      ),
      this.list,
      this.message.element,
      close,
    );
  }

  /** Reads the profiles afresh and shows them. */
  async open(): Promise<void> {
    this.element.hidden = false;
    this.list.replaceChildren();
    this.message.say('', 'info');
    try {
      const profiles = await this.ipc.listAwsProfiles();
      if (profiles.length === 0) {
        this.message.say('No AWS profiles here: neither ~/.aws/credentials, ~/.aws/config nor AWS_ACCESS_KEY_ID has one.', 'info');
        return;
      }
      this.list.append(...profiles.map((profile) => this.row(profile)));
      this.list.querySelector<HTMLInputElement>('input')?.focus();
    } catch (e) {
      this.message.say(errorText(e), 'error');
    }
  }

  private row(profile: AwsImport): HTMLElement {
    const item = el('li', 'aws-profile');
    item.dataset['profile'] = profile.aws_profile;
    const facts = [profile.key_tail ? `key ${profile.key_tail}` : null, profile.region, profile.endpoint ?? 'AWS', profile.path_style ? 'path-style' : null]
      .filter((fact) => fact !== null)
      .join(' · ');
    item.append(el('span', 'profile-name', profile.aws_profile), el('span', 'profile-facts', facts));
    if (profile.unusable) {
      item.append(el('span', 'profile-unusable', `Cannot import: ${profile.unusable}`));
      return item;
    }
    const name = textInput('name', profile.destination, `Destination name for ${profile.aws_profile}`);
    const bucket = textInput('bucket', '', `Bucket for ${profile.aws_profile}`);
    bucket.placeholder = 'bucket (optional)';
    const go = button('Import', 'import', () => void this.import(profile, name, bucket, go));
    item.append(name, bucket, go);
    return item;
  }

  private async import(profile: AwsImport, name: HTMLInputElement, bucket: HTMLInputElement, go: HTMLButtonElement): Promise<void> {
    go.disabled = true;
    try {
      const destination = await this.ipc.importAwsProfile(profile.aws_profile, name.value, bucket.value);
      go.textContent = 'Imported';
      name.disabled = bucket.disabled = true;
      const where = destination.bucket ? ` (bucket ${destination.bucket})` : ': give it a bucket with Edit, or when uploading';
      this.message.say(`Imported AWS profile ${profile.aws_profile} as ${destination.name}${where}.`, 'info');
      this.imported(destination);
    } catch (e) {
      go.disabled = false;
      this.message.say(errorText(e), 'error');
    }
  }
}

function textInput(name: string, value: string, label: string): HTMLInputElement {
  const input = el('input');
  input.type = 'text';
  input.name = name;
  input.value = value;
  input.autocomplete = 'off';
  input.setAttribute('aria-label', label);
  return input;
}
