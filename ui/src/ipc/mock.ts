// An in-memory Ipc for unit tests (and for running the UI in a plain browser): jobs live in an
// array, commands change them like the core's state machine does, and tests push events by hand.
import type {
  AwsImport,
  EngineStatus,
  EnqueueReport,
  EventMap,
  EventName,
  Ipc,
  Job,
  JobId,
  JobMove,
  JobState,
  Preset,
  ProgressSnapshot,
  ConnectionReport,
  Destination,
  DestinationEdit,
  DestinationForm,
  Removal,
  Settings,
  UiError,
  Unlisten,
  Provider,
  DeleteReport,
  DownloadReport,
  Listing,
  ObjectDetails,
  ObjectEntry,
  Place,
  Watch,
  WatchEdit,
  WatchForm,
  WatchId,
} from './types';
import { JOB_MOVES } from './types';
import { makeDestination, makeJob, makeWatch, MOCK_IGNORES } from './mock-data';

export { makeDestination, makeJob, makeObject, makeWatch, MOCK_IGNORES } from './mock-data';

type Command =
  | 'listJobs'
  | 'jobsById'
  | 'pauseJobs'
  | 'resumeJobs'
  | 'cancelJobs'
  | 'retryJobs'
  | 'addFromPicker'
  | 'chooseDestinationFolder'
  | 'copyText'
  | 'removeJobs'
  | 'clearFinished'
  | 'pauseAll'
  | 'resumeAll'
  | 'setDropTarget'
  | 'listDestinations'
  | 'listPresets'
  | 'addDestination'
  | 'editDestination'
  | 'removeDestination'
  | 'testDestination'
  | 'listAwsProfiles'
  | 'importAwsProfile'
  | 'getSettings'
  | 'setSettings'
  | 'engineStatus'
  | 'progressSnapshot'
  | 'listObjects'
  | 'objectDetails'
  | 'deleteObjects'
  | 'shareLink'
  | 'downloadObjects'
  | 'showInFolder'
  | 'getAutostart'
  | 'setAutostart'
  | 'windowView'
  | 'setWindowView'
  | 'listWatches'
  | 'defaultIgnores'
  | 'addWatch'
  | 'pauseWatch'
  | 'resumeWatch'
  | 'removeWatch'
  | 'setWatchIgnore'
  | 'editWatch';

type Handler = (payload: never) => void;

export class MockIpc implements Ipc {
  jobs: Job[];
  engine: EngineStatus = { state: 'driving' };
  /** What `listAwsProfiles` finds (the core reads ~/.aws; the mock is given them). */
  awsProfiles: AwsImport[] = [];
  /** What `progressSnapshot` says of a metered connection. */
  heldForMetered = false;
  destinations: Destination[] = [makeDestination({ name: 'local', kind: 'local', folder: '/home/me/Hoist', builtin: true })];
  /** Secrets the forms sent (the mock's stand-in for the keychain). */
  readonly secrets = new Map<string, string>();
  settings: Settings = {
    concurrency: 3,
    bandwidth_limit: null,
    download_limit: null,
    notifications: true,
    close_to_tray: true,
    start_minimized: false,
    follow_links: false,
    pause_on_metered: false,
    part_size: 8 * 1024 * 1024,
  };
  connectionReport: ConnectionReport | null = null;
  /** What the (mock) destinations hold, by key; every destination shows the same. */
  readonly objects = new Map<string, ObjectEntry>();
  /** What the system's picker would return next (the mock's stand-in for the user's choice). */
  chosen: string[] = [];
  /** The folder the mock's folder picker returns, and the one it keeps for addDestination. */
  chosenFolder: string | null = null;
  private pickedFolder: string | null = null;
  /** Every command call, in order, with its arguments. */
  readonly calls: { command: Command; args: unknown[] }[] = [];
  private readonly failures = new Map<Command, UiError>();
  private readonly handlers = new Map<EventName, Set<Handler>>();

  constructor(jobs: Job[] = []) {
    this.jobs = jobs.map((j) => ({ ...j }));
  }

  /** The next call of `command` rejects with `error`. */
  failNext(command: Command, error: UiError): void {
    this.failures.set(command, error);
  }

  /** Delivers an event to every listener, as the shell would. */
  emit<K extends EventName>(event: K, payload: EventMap[K]): void {
    for (const handler of this.handlers.get(event) ?? []) (handler as (p: EventMap[K]) => void)(payload);
  }

  listenerCount(event: EventName): number {
    return this.handlers.get(event)?.size ?? 0;
  }

  count(command: Command): number {
    return this.calls.filter((c) => c.command === command).length;
  }

  listJobs(): Promise<Job[]> {
    return this.run('listJobs', [], () => this.jobs.map((j) => ({ ...j })));
  }

  jobsById(ids: JobId[]): Promise<Job[]> {
    const wanted = new Set(ids);
    return this.run('jobsById', [ids], () => this.jobs.filter((j) => wanted.has(j.id)).map((j) => ({ ...j })));
  }

  pauseJobs(ids: JobId[]): Promise<JobId[]> {
    return this.run('pauseJobs', [ids], () => this.move(ids, 'pause'));
  }

  resumeJobs(ids: JobId[]): Promise<JobId[]> {
    return this.run('resumeJobs', [ids], () => this.move(ids, 'resume'));
  }

  cancelJobs(ids: JobId[]): Promise<JobId[]> {
    return this.run('cancelJobs', [ids], () => this.move(ids, 'cancel'));
  }

  retryJobs(ids: JobId[]): Promise<JobId[]> {
    return this.run('retryJobs', [ids], () => this.move(ids, 'retry'));
  }

  addFromPicker(folders: boolean, destination?: string, prefix?: string): Promise<EnqueueReport | null> {
    return this.run('addFromPicker', [folders, destination, prefix], () => {
      if (this.chosen.length === 0) return null;
      const added = this.chosen.map((path) =>
        makeJob({ path, destination_name: destination ?? 'default', key: `${prefix ? `${prefix.replace(/\/+$/, '')}/` : ''}${path.split('/').pop() ?? path}` }),
      );
      this.jobs.push(...added);
      return { batch: `batch-${added[0]?.id ?? 0}`, jobs: added.map((j) => j.id), bytes: added.reduce((n, j) => n + j.bytes_total, 0), skipped: [] };
    });
  }

  /** What copyText put on the (mock) clipboard. */
  clipboard = '';

  copyText(text: string): Promise<void> {
    return this.run('copyText', [text], () => {
      this.clipboard = text;
    });
  }

  chooseDestinationFolder(): Promise<string | null> {
    return this.run('chooseDestinationFolder', [], () => {
      if (this.chosenFolder !== null) this.pickedFolder = this.chosenFolder;
      return this.chosenFolder;
    });
  }

  removeJobs(ids: JobId[]): Promise<Removal> {
    return this.run('removeJobs', [ids], () => {
      const removed = this.jobs.filter((j) => ids.includes(j.id) && j.state !== 'running').map((j) => j.id);
      const cancelled = this.jobs.filter((j) => ids.includes(j.id) && j.state === 'running').map((j) => j.id);
      for (const job of this.jobs) if (cancelled.includes(job.id)) job.state = 'cancelled';
      this.jobs = this.jobs.filter((j) => !removed.includes(j.id));
      return { removed, cancelled };
    });
  }

  clearFinished(): Promise<JobId[]> {
    return this.run('clearFinished', [], () => {
      const gone = this.jobs.filter((j) => j.state === 'completed' || j.state === 'cancelled').map((j) => j.id);
      this.jobs = this.jobs.filter((j) => !gone.includes(j.id));
      return gone;
    });
  }

  pauseAll(): Promise<JobId[]> {
    return this.run('pauseAll', [], () =>
      this.move(
        this.jobs.map((j) => j.id),
        'pause',
      ),
    );
  }

  resumeAll(): Promise<JobId[]> {
    return this.run('resumeAll', [], () =>
      this.move(
        this.jobs.map((j) => j.id),
        'resume',
      ),
    );
  }

  setDropTarget(destination?: string, prefix?: string): Promise<void> {
    return this.run('setDropTarget', [destination, prefix], () => undefined);
  }

  listDestinations(): Promise<Destination[]> {
    return this.run('listDestinations', [], () => this.destinations.map((p) => ({ ...p })));
  }

  listPresets(): Promise<Preset[]> {
    return this.run('listPresets', [], () => (['aws', 'r2', 'spaces', 'minio', 'b2', 'wasabi', 'garage', 'generic'] as Provider[]).map((id) => ({ id })));
  }

  addDestination(form: DestinationForm): Promise<Destination> {
    return this.run('addDestination', [form], () => {
      const destination = makeDestination({
        name: form.name,
        kind: form.kind === 'local' ? 'local' : 's3',
        endpoint: form.endpoint ?? null,
        region: form.region ?? 'us-east-1',
        bucket: form.bucket ?? '',
        folder: form.kind === 'local' ? this.takeFolder() : null,
        provider: form.provider ?? null,
        prefix: form.prefix ?? '',
      });
      if (form.secret_access_key) this.secrets.set(form.name, form.secret_access_key);
      this.destinations.push(destination);
      return destination;
    });
  }

  editDestination(name: string, edit: DestinationEdit): Promise<Destination> {
    return this.run('editDestination', [name, edit], () => {
      const destination = this.destinations.find((p) => p.name === name)!;
      if (edit.rename) destination.name = edit.rename;
      if (edit.endpoint) destination.endpoint = edit.endpoint;
      if (edit.folder_picked) destination.folder = this.takeFolder();
      if (edit.path_style !== undefined) destination.path_style = edit.path_style;
      if (edit.bucket) destination.bucket = edit.bucket;
      if (edit.region) destination.region = edit.region;
      if (edit.prefix !== undefined) destination.prefix = edit.prefix;
      if (edit.secret_access_key) this.secrets.set(name, edit.secret_access_key);
      return { ...destination };
    });
  }

  private takeFolder(): string {
    const folder = this.pickedFolder;
    this.pickedFolder = null;
    if (folder === null) throw { code: 'invalid_input', message: 'choose the folder to upload into' };
    return folder;
  }

  removeDestination(name: string): Promise<void> {
    return this.run('removeDestination', [name], () => {
      this.destinations = this.destinations.filter((p) => p.name !== name);
    });
  }

  listAwsProfiles(): Promise<AwsImport[]> {
    return this.run('listAwsProfiles', [], () => this.awsProfiles.map((p) => ({ ...p })));
  }

  importAwsProfile(awsProfile: string, name: string, bucket: string): Promise<Destination> {
    return this.run('importAwsProfile', [awsProfile, name, bucket], () => {
      const profile = this.awsProfiles.find((p) => p.aws_profile === awsProfile);
      if (!profile || profile.unusable) throw { code: 'invalid_input', message: `cannot import AWS profile '${awsProfile}'` };
      const destination = makeDestination({
        name: name.trim() || profile.destination,
        endpoint: profile.endpoint,
        region: profile.region,
        bucket: bucket.trim(),
        path_style: profile.path_style,
      });
      this.destinations.push(destination);
      return { ...destination };
    });
  }

  testDestination(name: string): Promise<ConnectionReport> {
    return this.run('testDestination', [name], () => this.connectionReport ?? { destination: name, steps: [], capabilities: null });
  }

  getSettings(): Promise<Settings> {
    return this.run('getSettings', [], () => ({ ...this.settings }));
  }

  setSettings(settings: Settings): Promise<Settings> {
    return this.run('setSettings', [settings], () => {
      this.settings = { ...settings };
      return { ...settings };
    });
  }

  engineStatus(): Promise<EngineStatus> {
    return this.run('engineStatus', [], () => this.engine);
  }

  progressSnapshot(): Promise<ProgressSnapshot> {
    return this.run('progressSnapshot', [], () => ({ jobs: [], online: true, held_for_metered: this.heldForMetered }));
  }

  listen<K extends EventName>(event: K, handler: (payload: EventMap[K]) => void): Promise<Unlisten> {
    let set = this.handlers.get(event);
    if (!set) this.handlers.set(event, (set = new Set()));
    set.add(handler as Handler);
    return Promise.resolve(() => set.delete(handler as Handler));
  }

  private move(ids: JobId[], action: JobMove): JobId[] {
    const { from, to } = JOB_MOVES[action];
    const moved: readonly JobState[] = from;
    const changed: JobId[] = [];
    for (const job of this.jobs) {
      if (ids.includes(job.id) && moved.includes(job.state)) {
        job.state = to;
        if (to === 'queued') {
          job.error_code = null;
          job.error_message = null;
        }
        changed.push(job.id);
      }
    }
    return changed;
  }

  /** Lists like S3: keys in byte order, sub-folders as prefixes unless recursive, pages after
   * the token. */
  listObjects(place: Place, prefix: string, recursive: boolean, page: string | null, limit: number): Promise<Listing> {
    return this.run('listObjects', [place, prefix, recursive, page, limit], () => {
      const entries: { key: string; object: ObjectEntry | null }[] = [];
      const seen = new Set<string>();
      for (const key of [...this.objects.keys()].sort()) {
        if (!key.startsWith(prefix)) continue;
        const slash = key.indexOf('/', prefix.length);
        if (!recursive && slash >= 0) {
          const folder = key.slice(0, slash + 1);
          if (!seen.has(folder)) {
            seen.add(folder);
            entries.push({ key: folder, object: null });
          }
        } else {
          entries.push({ key, object: this.objects.get(key)! });
        }
      }
      const rest = entries.filter((e) => page === null || e.key > page);
      const taken = rest.slice(0, limit);
      return {
        folders: taken.filter((e) => e.object === null).map((e) => e.key),
        objects: taken.flatMap((e) => (e.object ? [e.object] : [])),
        next: rest.length > limit ? taken[taken.length - 1]!.key : null,
      };
    });
  }

  objectDetails(place: Place, key: string): Promise<ObjectDetails> {
    return this.run('objectDetails', [place, key], () => {
      const o = this.objects.get(key);
      if (!o) throw { code: 'not_found', message: `no object '${key}'` };
      return {
        key,
        size: o.size,
        modified: o.modified,
        etag: o.etag,
        content_type: 'application/octet-stream',
        storage_class: o.storage_class,
        cache_control: null,
        metadata: {},
      };
    });
  }

  deleteObjects(place: Place, keys: string[]): Promise<DeleteReport> {
    return this.run('deleteObjects', [place, keys], () => {
      let deleted = 0;
      let bytes = 0;
      for (const key of keys) {
        const doomed = key.endsWith('/') ? [...this.objects.keys()].filter((k) => k.startsWith(key)) : [key];
        for (const k of doomed) {
          const o = this.objects.get(k);
          if (o) {
            bytes += o.size;
            this.objects.delete(k);
          }
          deleted += 1;
        }
      }
      return { deleted, bytes, failed: [], requests: 1 };
    });
  }

  shareLink(place: Place, key: string, expiresSecs: number): Promise<string> {
    return this.run('shareLink', [place, key, expiresSecs], () => `https://share.example/${encodeURIComponent(key)}?expires=${expiresSecs}`);
  }

  /** The folder the mock's picker answers for downloads; null: the user cancels. */
  downloadFolder: string | null = '/home/me/Downloads';

  downloadObjects(place: Place, keys: string[]): Promise<DownloadReport | null> {
    return this.run('downloadObjects', [place, keys], () => {
      const folder = this.downloadFolder;
      if (folder === null) return null;
      const wanted = keys.flatMap((key) => (key.endsWith('/') ? [...this.objects.keys()].filter((k) => k.startsWith(key)) : [key]));
      const added = wanted.map((key) =>
        makeJob({ key, direction: 'download', path: `${folder}/${key.split('/').pop() ?? key}`, bytes_total: this.objects.get(key)?.size ?? 0 }),
      );
      this.jobs.push(...added);
      return { batch: `batch-${added[0]?.id ?? 0}`, jobs: added.map((j) => j.id), bytes: added.reduce((n, j) => n + j.bytes_total, 0), refused: [] };
    });
  }

  showInFolder(id: JobId): Promise<void> {
    return this.run('showInFolder', [id], () => undefined);
  }

  autostart = false;

  getAutostart(): Promise<boolean> {
    return this.run('getAutostart', [], () => this.autostart);
  }

  setAutostart(enabled: boolean): Promise<boolean> {
    return this.run('setAutostart', [enabled], () => (this.autostart = enabled));
  }

  /** The view the (mock) database keeps for the window. */
  view: string | null = null;

  windowView(): Promise<string | null> {
    return this.run('windowView', [], () => this.view);
  }

  setWindowView(view: string): Promise<void> {
    return this.run('setWindowView', [view], () => {
      this.view = view;
    });
  }

  watches: Watch[] = [];
  /** The folder the mock's picker answers for a new watch; null: the user cancels. */
  watchFolder: string | null = '/home/me/Scans';

  listWatches(): Promise<Watch[]> {
    return this.run('listWatches', [], () => this.watches.map((w) => ({ ...w, ignore: [...w.ignore] })));
  }

  defaultIgnores(): Promise<string[]> {
    return this.run('defaultIgnores', [], () => [...MOCK_IGNORES]);
  }

  addWatch(form: WatchForm): Promise<Watch | null> {
    return this.run('addWatch', [form], () => {
      const folder = this.watchFolder;
      if (folder === null) return null;
      if (this.watches.some((w) => w.folder === folder)) throw { code: 'invalid_input', message: `${folder} is already watched into that place` };
      const watch = makeWatch({
        id: Math.max(0, ...this.watches.map((w) => w.id)) + 1,
        folder,
        destination_name: form.destination ?? 'default',
        prefix: form.prefix ? `${form.prefix.replace(/\/+$/, '')}/` : '',
        ignore: [...MOCK_IGNORES, ...(form.ignore ?? [])],
        settle_ms: form.settle_ms ?? 2000,
        mirror_deletes: form.mirror_deletes ?? false,
        state: 'starting',
      });
      this.watches.push(watch);
      return { ...watch };
    });
  }

  private watchById(id: WatchId): Watch {
    const watch = this.watches.find((w) => w.id === id);
    if (!watch) throw { code: 'not_found', message: `no watch ${id}` };
    return watch;
  }

  pauseWatch(id: WatchId): Promise<void> {
    return this.run('pauseWatch', [id], () => {
      Object.assign(this.watchById(id), { paused: true, state: 'paused' });
    });
  }

  resumeWatch(id: WatchId): Promise<void> {
    return this.run('resumeWatch', [id], () => {
      Object.assign(this.watchById(id), { paused: false, state: 'watching' });
    });
  }

  removeWatch(id: WatchId): Promise<void> {
    return this.run('removeWatch', [id], () => {
      this.watchById(id);
      this.watches = this.watches.filter((w) => w.id !== id);
    });
  }

  editWatch(id: WatchId, edit: WatchEdit): Promise<Watch> {
    return this.run('editWatch', [id, edit], () => {
      const watch = this.watchById(id);
      const prefix = edit.prefix.replace(/^\/+|\/+$/g, '');
      const destination = this.destinations.find((d) => d.name === edit.destination);
      if (!destination) throw { code: 'not_found', message: `no destination named '${edit.destination}'` };
      Object.assign(watch, {
        destination_name: edit.destination,
        bucket: destination.bucket,
        prefix: prefix ? `${prefix}/` : '',
        settle_ms: edit.settle_ms,
        if_exists: edit.if_exists,
        mirror_deletes: edit.mirror_deletes,
        poll: edit.poll,
      });
      return { ...watch };
    });
  }

  setWatchIgnore(id: WatchId, ignore: string[]): Promise<Watch> {
    return this.run('setWatchIgnore', [id, ignore], () => {
      const bad = ignore.find((g) => g.includes('['));
      if (bad) throw { code: 'invalid_input', message: `bad ignore pattern '${bad}': unclosed character class` };
      const watch = this.watchById(id);
      watch.ignore = ignore.map((g) => g.trim()).filter((g) => g !== '');
      return { ...watch, ignore: [...watch.ignore] };
    });
  }

  private run<T>(command: Command, args: unknown[], body: () => T): Promise<T> {
    this.calls.push({ command, args });
    const failure = this.failures.get(command);
    if (failure) {
      this.failures.delete(command);
      return Promise.reject(failure);
    }
    try {
      return Promise.resolve(body());
    } catch (e) {
      return Promise.reject(e);
    }
  }
}
