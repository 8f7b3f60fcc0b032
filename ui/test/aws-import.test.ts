import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { QueueApp } from '../src/app';
import type { AwsImport } from '../src/ipc/types';
import { mountApp, settle } from './helpers';

let root: HTMLElement;
let app: QueueApp | null = null;

beforeEach(() => {
  document.body.innerHTML = '<div id="app"></div>';
  root = document.getElementById('app')!;
});

afterEach(() => {
  app?.dispose();
  app = null;
});

const q = <T extends Element = HTMLElement>(selector: string) => root.querySelector<T>(selector)!;

const WORK: AwsImport = {
  aws_profile: 'work',
  destination: 'aws-work',
  key_tail: '…WORK',
  region: 'us-west-2',
  endpoint: 'https://minio.example.com',
  path_style: true,
  unusable: null,
};
const SSO: AwsImport = {
  aws_profile: 'sso',
  destination: 'aws-sso',
  key_tail: null,
  region: 'us-east-1',
  endpoint: null,
  path_style: false,
  unusable: 'it signs in with SSO, and Hoist needs a static access key pair',
};

async function openImport(profiles: AwsImport[]) {
  const mounted = await mountApp(root, [], (ipc) => (ipc.awsProfiles = profiles));
  app = mounted.app;
  q<HTMLButtonElement>('.tab-destinations').click();
  await settle();
  q<HTMLButtonElement>('.open-import').click();
  await settle();
  return mounted.ipc;
}

describe('import from AWS CLI', () => {
  it('lists the profiles with what each becomes, and imports one under the name and bucket given', async () => {
    const ipc = await openImport([WORK, SSO]);
    const work = q('.aws-profile[data-profile="work"]');
    expect(work.querySelector('.profile-facts')?.textContent).toBe('key …WORK · us-west-2 · https://minio.example.com · path-style');
    const name = work.querySelector<HTMLInputElement>('[name="name"]')!;
    expect(name.value).toBe('aws-work');
    name.value = 'minio';
    work.querySelector<HTMLInputElement>('[name="bucket"]')!.value = 'photos';
    work.querySelector<HTMLButtonElement>('.import')!.click();
    await settle();
    expect(ipc.calls.find((c) => c.command === 'importAwsProfile')?.args).toEqual(['work', 'minio', 'photos']);
    expect(q('.aws-import .form-message').textContent).toBe('Imported AWS profile work as minio (bucket photos).');
    expect(work.querySelector<HTMLButtonElement>('.import')!.disabled).toBe(true);
    expect(q('.destination[data-name="minio"] .destination-where').textContent).toBe('photos at https://minio.example.com (us-west-2)');
  });

  it('shows why a profile cannot be imported, with no button, and says when there are none', async () => {
    await openImport([SSO]);
    const sso = q('.aws-profile[data-profile="sso"]');
    expect(sso.querySelector('.profile-unusable')?.textContent).toMatch(/^Cannot import: it signs in with SSO/);
    expect(sso.querySelector('.import')).toBeNull();
    app?.dispose();
    document.body.innerHTML = '<div id="app"></div>';
    root = document.getElementById('app')!;
    await openImport([]);
    expect(root.querySelectorAll('.aws-profile').length).toBe(0);
    expect(q('.aws-import .form-message').textContent).toMatch(/^No AWS profiles here/);
  });
});
