// Test data with sensible defaults, for the mock IPC and the UI tests: each factory fills in
// every field, and a test overrides what it asserts on.
import type { Destination, Job, ObjectEntry, Watch } from './types';

/** A destination with sensible defaults. */
export function makeDestination(fields: Partial<Destination> = {}): Destination {
  return {
    id: `id-${fields.name ?? 'p'}`,
    name: 'default',
    kind: 's3',
    endpoint: 'http://127.0.0.1:3900',
    region: 'us-east-1',
    bucket: 'bucket',
    path_style: true,
    prefix: '',
    folder: null,
    builtin: false,
    provider: null,
    options: {
      key_template: null,
      detect_content_type: true,
      acl: null,
      storage_class: null,
      cache_control: null,
      if_exists: 'overwrite',
    },
    capabilities: null,
    ...fields,
  };
}

/** The mock's default ignore rules (the core's list starts the same way). */
export const MOCK_IGNORES = ['.DS_Store', 'Thumbs.db', '*.tmp', '*.part'];

/** A watch with sensible defaults. */
export function makeWatch(fields: Partial<Watch> = {}): Watch {
  return {
    id: 1,
    folder: '/home/me/Scans',
    destination_id: 'id-default',
    destination_name: 'default',
    bucket: 'bucket',
    prefix: '',
    key_template: null,
    ignore: [...MOCK_IGNORES],
    if_exists: null,
    settle_ms: 2000,
    mirror_deletes: false,
    poll: false,
    paused: false,
    state: 'watching',
    note: null,
    active_at: null,
    uploaded: 0,
    pending: 0,
    created_at: 1_780_000_000,
    ...fields,
  };
}

/** An object for the mock's store. */
export function makeObject(key: string, fields: Partial<ObjectEntry> = {}): ObjectEntry {
  return { key, size: 1000, modified: 1_780_000_000, etag: 'e', storage_class: null, ...fields };
}

let nextId = 1;

/** A job with sensible defaults; tests override what they assert on. */
export function makeJob(fields: Partial<Job> = {}): Job {
  const id = fields.id ?? nextId++;
  const path = fields.path ?? `/home/me/file-${id}.bin`;
  return {
    id,
    path,
    destination_id: 'p1',
    destination_name: 'default',
    bucket: 'bucket',
    key: path.split('/').pop() ?? path,
    state: 'queued',
    bytes_done: 0,
    bytes_total: 1000,
    attempts: 0,
    error_code: null,
    error_message: null,
    batch: 'b1',
    direction: 'upload',
    if_exists: 'overwrite',
    outcome: null,
    verified: null,
    watch: null,
    note: null,
    created_at: 0,
    updated_at: 0,
    ...fields,
  };
}
