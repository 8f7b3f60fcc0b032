// The job detail pane: everything about one job, and above all the whole of a failure's
// message (rows cut it to one line, yet it is the text that says how to fix the problem), in a
// selectable block with a Copy button. Opened from a row's "Details" button; it follows the job
// as the queue changes and closes with Escape or its Close button.
import type { Job } from './ipc/types';
import { fileName } from './format';
import { button, el } from './dom';

/** What the pane offers for a completed upload. */
export interface UploadedActions {
  /** Copies a share link to the uploaded object; resolves to what to tell the user. */
  copyLink(job: Job): Promise<string>;
  showInBrowse(job: Job): void;
}

export class DetailPane {
  readonly element: HTMLElement;
  private readonly title: HTMLElement;
  private readonly facts: HTMLElement;
  private readonly message: HTMLElement;
  private readonly copyButton: HTMLButtonElement;
  private readonly copied: HTMLElement;
  /** The job shown, or null when the pane is closed. */
  shownId: number | null = null;

  private readonly linkButton: HTMLButtonElement;
  private readonly browseButton: HTMLButtonElement;
  private job: Job | null = null;

  constructor(
    private readonly copy: (text: string) => Promise<void>,
    private readonly uploaded?: UploadedActions,
  ) {
    this.element = el('aside', 'job-detail');
    this.element.hidden = true;
    this.element.setAttribute('role', 'dialog');
    this.element.setAttribute('aria-label', 'Job details');
    this.title = el('h3', 'job-detail-title');
    this.facts = el('dl', 'job-detail-facts');
    this.message = el('pre', 'job-detail-message');
    this.copied = el('span', 'job-detail-copied');
    this.copied.setAttribute('role', 'status');
    this.copyButton = button('Copy message', 'copy-message', () => void this.copyMessage());
    const close = button('Close', 'close-detail', () => this.close());
    this.linkButton = button('Copy link', 'copy-job-link', () => void this.copyLink());
    this.browseButton = button('Show in Browse', 'show-in-browse', () => {
      if (this.job) this.uploaded?.showInBrowse(this.job);
    });
    const buttons = el('div', 'job-detail-buttons');
    buttons.append(this.copyButton, this.linkButton, this.browseButton, close, this.copied);
    this.element.append(this.title, this.facts, this.message, buttons);
    this.element.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') this.close();
    });
  }

  show(job: Job): void {
    this.shownId = job.id;
    this.copied.textContent = '';
    this.update(job);
    this.element.hidden = false;
    this.copyButton.focus();
  }

  /** Refreshes the pane if it shows `job`. */
  update(job: Job): void {
    if (this.shownId !== job.id) return;
    this.job = job;
    const done = job.state === 'completed' && this.uploaded !== undefined;
    this.linkButton.hidden = !done;
    this.browseButton.hidden = !done;
    this.title.textContent = fileName(job.path);
    const facts: [string, string][] = [
      ['File', job.path],
      ['Destination', `${job.destination_name}: ${job.bucket}/${job.key}`],
      ['State', job.state],
    ];
    if (job.verified) facts.push(['Verified', verificationText(job.verified)]);
    if (job.error_code) facts.push(['Error', job.error_code]);
    if (job.attempts > 0) facts.push(['Attempts', String(job.attempts)]);
    this.facts.replaceChildren(...facts.flatMap(([term, value]) => [el('dt', undefined, term), el('dd', undefined, value)]));
    const text = messageOf(job);
    this.message.textContent = text ?? 'No message.';
    this.copyButton.disabled = text === null;
  }

  close(): void {
    this.shownId = null;
    this.element.hidden = true;
  }

  private async copyLink(): Promise<void> {
    if (!this.job || !this.uploaded) return;
    try {
      this.copied.textContent = await this.uploaded.copyLink(this.job);
    } catch (e) {
      this.copied.textContent = (e as { message?: string }).message ?? 'Could not make a link';
    }
  }

  private async copyMessage(): Promise<void> {
    const text = this.message.textContent ?? '';
    try {
      await this.copy(text);
      this.copied.textContent = 'Copied';
    } catch {
      // Still selectable by hand.
      this.copied.textContent = 'Could not copy: select the text and press Ctrl+C';
    }
  }
}

/** The text worth showing in full: a failure's message, else the job's note. */
export function messageOf(job: Job): string | null {
  if (job.state === 'failed') return job.error_message ?? job.error_code ?? 'Failed';
  return job.note ?? null;
}

const CHECK_NAMES: Record<string, string> = {
  md5: 'MD5 of the bytes',
  'multipart-etag': 'multipart ETag (MD5 of each part)',
  crc32c: 'CRC32C',
  crc32: 'CRC32',
  crc64nvme: 'CRC64NVME',
};

/** How a download was checked, for people: "multipart ETag (MD5 of each part) and CRC32C". */
export function verificationText(verified: string): string {
  if (verified === 'size-only') {
    return 'size only: the server gave no MD5 or checksum to check the bytes against';
  }
  return verified
    .split('+')
    .map((check) => CHECK_NAMES[check] ?? check)
    .join(' and ');
}
