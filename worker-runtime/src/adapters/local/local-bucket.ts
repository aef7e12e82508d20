/**
 * A bucket that is a folder: object `a/b.jpg` is the file `<root>/a/b.jpg`. Writes are atomic
 * (temp file, then rename), so a reader never sees half a PDF. A write under the notification
 * prefix with a matching suffix raises an S3-shaped `ObjectCreated:Put` event into the queue,
 * as the construct's bucket notification does.
 */
import { createHash, randomBytes } from 'crypto';
import { promises as fsp } from 'fs';
import * as path from 'path';
import { objectCreatedNotification } from './s3-notification';
import { ObjectGoneError, OutputChangedError, TooLargeError } from '../../core/errors';
import type { GetOptions, ObjectHead, ObjectStore, PutOptions, StoredObject } from '../../core/ports';
import { writeParts } from '../../util/gather-write';
import { walkFiles } from '../../util/walk-files';

/** Where events go: the work queue (only `send` is needed). */
export interface EventTarget {
  send(body: string): Promise<string>;
}

export interface BucketNotification {
  readonly target: EventTarget;
  /** e.g. `uploads/` */
  readonly prefix: string;
  /** Case-sensitive, as S3's filter rules are. @default the construct's: .jpg .jpeg .JPG .JPEG */
  readonly suffixes?: readonly string[];
  /** @default 'local-uploads' */
  readonly configurationId?: string;
}

export interface LocalBucketOptions {
  readonly name: string;
  /** The folder holding the objects. */
  readonly root: string;
  /** Folder for temp files and object metadata (outside `root`, so it never looks like an object). */
  readonly stateDir: string;
  readonly notification?: BucketNotification;
  /** @default 'us-east-1' */
  readonly region?: string;
}

/** What the bucket keeps beside an object. */
interface StoredMeta {
  readonly contentType?: string;
  readonly metadata?: Record<string, string>;
  /** MD5 hex of the bytes, when it was computed at upload, for the file of this size and mtime. */
  readonly etag?: string;
  readonly size?: number;
  readonly mtimeMs?: number;
}

export const DEFAULT_SUFFIXES: readonly string[] = ['.jpg', '.jpeg', '.JPG', '.JPEG'];

/** Keys the folder can represent: no empty, `.` or `..` segments, no backslashes or NULs. */
export function validateKey(key: string): void {
  const bad = key === '' || key.length > 1024 || /[\\\0]/.test(key)
    || key.split('/').some((s) => s === '' || s === '.' || s === '..');
  if (bad) {
    throw new Error(`object key ${JSON.stringify(key)} cannot be stored in a local bucket: use '/'-separated names without empty, '.' or '..' parts`);
  }
}

export class LocalBucket implements ObjectStore {
  readonly name: string;
  readonly root: string;
  private readonly tmpDir: string;
  private readonly metaDir: string;
  private readonly region: string;
  private readonly notification?: BucketNotification;
  /** Folders this bucket has created or found (see renameInto). */
  private readonly knownDirs = new Set<string>();

  constructor(options: LocalBucketOptions) {
    this.name = options.name;
    this.root = path.resolve(options.root);
    this.tmpDir = path.join(path.resolve(options.stateDir), 'tmp');
    this.metaDir = path.join(path.resolve(options.stateDir), 'meta');
    this.region = options.region ?? 'us-east-1';
    this.notification = options.notification;
  }

  async init(): Promise<this> {
    await Promise.all([this.root, this.tmpDir, this.metaDir].map((d) => fsp.mkdir(d, { recursive: true })));
    return this;
  }

  /** The file holding an object. */
  pathOf(key: string): string {
    validateKey(key);
    return path.join(this.root, ...key.split('/'));
  }

  /** Versions are not kept: `versionId` is ignored. `maxBytes` is checked against the file's size before reading. */
  async getObject(bucket: string, key: string, _signal?: AbortSignal, options: GetOptions = {}): Promise<StoredObject> {
    this.checkBucket(bucket);
    let body: Buffer;
    let stat: { size: number; mtimeMs: number };
    try {
      const handle = await fsp.open(this.pathOf(key), 'r');
      try {
        stat = await handle.stat();
        if (options.maxBytes !== undefined && stat.size > options.maxBytes) throw new TooLargeError(options.maxBytes, stat.size);
        body = await handle.readFile();
      } finally {
        await handle.close();
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') throw new ObjectGoneError(bucket, key);
      throw err;
    }
    let meta: StoredMeta | undefined;
    try {
      meta = JSON.parse(await fsp.readFile(this.metaPathOf(key), 'utf8')) as StoredMeta;
    } catch {
      meta = undefined;
    }
    // The ETag recorded at upload, while the file is still the one it was recorded for (same size
    // and modification time; a file replaced behind the bucket's back is hashed again).
    const etag = meta?.etag !== undefined && meta.size === stat.size && meta.mtimeMs === stat.mtimeMs ? meta.etag : md5(body);
    return { body, etag: `"${etag}"`, contentType: meta?.contentType };
  }

  /**
   * ETag and metadata. The ETag is the one recorded at upload while the file is unchanged, else
   * a token of its size and modification time (enough for the conditional writes below; not an MD5).
   */
  async headObject(bucket: string, key: string): Promise<ObjectHead | undefined> {
    this.checkBucket(bucket);
    let stat: { size: number; mtimeMs: number };
    try {
      stat = await fsp.stat(this.pathOf(key));
    } catch {
      return undefined;
    }
    const meta = await this.readMeta(key);
    const etag = meta?.etag !== undefined && meta.size === stat.size && meta.mtimeMs === stat.mtimeMs ? meta.etag : `${stat.size}-${stat.mtimeMs}`;
    return { etag: `"${etag}"`, metadata: meta?.metadata ?? {} };
  }

  /**
   * `body` as parts is written with writev (no join). `ifMatch` / `ifNoneMatch` are checked just
   * before the rename; unlike S3 the check and the rename are not one atomic step, so two local
   * processes writing the same key at the same instant can both pass (local mode only).
   */
  async putObject(bucket: string, key: string, body: Uint8Array | readonly Uint8Array[], options: PutOptions): Promise<void> {
    const parts: readonly Uint8Array[] = Array.isArray(body) ? body : [body as Uint8Array];
    this.checkBucket(bucket);
    const file = this.pathOf(key);
    const metaFile = this.metaPathOf(key);
    const conditional = options.ifMatch !== undefined || options.ifNoneMatch !== undefined;
    if (conditional) await this.checkCondition(bucket, key, options);
    const n = this.notification;
    const notify = n && key.startsWith(n.prefix) && (n.suffixes ?? DEFAULT_SUFFIXES).some((s) => key.endsWith(s));
    // Hashed only when an event needs the ETag; kept in the metadata so a read need not hash again.
    const etag = notify ? md5(parts) : undefined;
    // Data to a temp file, then its metadata, then the rename: whoever sees the object sees its metadata.
    const data = await this.writeTemp(parts, etag !== undefined);
    const meta: StoredMeta = etag === undefined
      ? { contentType: options.contentType, metadata: options.metadata }
      : { contentType: options.contentType, metadata: options.metadata, etag, size: data.size, mtimeMs: data.mtimeMs };
    await this.atomicWrite(metaFile, JSON.stringify(meta));
    await this.renameInto(data.tmp, file);
    if (n && notify) {
      await n.target.send(objectCreatedNotification({
        bucket: this.name,
        key,
        size: data.size,
        etag: etag!,
        region: this.region,
        configurationId: n.configurationId ?? 'local-uploads',
      }));
    }
  }

  private async checkCondition(bucket: string, key: string, options: PutOptions): Promise<void> {
    const head = await this.headObject(bucket, key);
    if (options.ifNoneMatch === '*' && head !== undefined) throw new OutputChangedError(bucket, key);
    if (options.ifMatch !== undefined && head?.etag !== options.ifMatch) throw new OutputChangedError(bucket, key);
  }

  private async readMeta(key: string): Promise<StoredMeta | undefined> {
    try {
      return JSON.parse(await fsp.readFile(this.metaPathOf(key), 'utf8')) as StoredMeta;
    } catch {
      return undefined;
    }
  }

  /** The metadata stored with an object (the run loop links outputs to their source this way). */
  async metadataOf(key: string): Promise<Record<string, string> | undefined> {
    try {
      return (JSON.parse(await fsp.readFile(this.metaPathOf(key), 'utf8')) as { metadata?: Record<string, string> }).metadata;
    } catch {
      return undefined;
    }
  }

  /** Keys under a prefix, sorted. */
  async list(prefix = ''): Promise<string[]> {
    return (await walkFiles(this.root)).map((f) => f.rel).filter((key) => key.startsWith(prefix));
  }

  private metaPathOf(key: string): string {
    validateKey(key);
    return path.join(this.metaDir, ...key.split('/')) + '.json';
  }

  private checkBucket(bucket: string): void {
    if (bucket !== this.name) throw new Error(`local mode has one bucket, '${this.name}'; got '${bucket}'`);
  }

  private tempName(): string {
    return path.join(this.tmpDir, `${process.pid}-${randomBytes(6).toString('hex')}`);
  }

  private async atomicWrite(file: string, data: string): Promise<void> {
    const tmp = this.tempName();
    await fsp.writeFile(tmp, data);
    await this.renameInto(tmp, file);
  }

  /**
   * Renames a temp file into place, creating the folder the first time this bucket writes there
   * (remembered, so a busy writer does not ask again per object; a folder removed since is made again).
   */
  private async renameInto(tmp: string, file: string): Promise<void> {
    const dir = path.dirname(file);
    if (this.knownDirs.has(dir)) {
      try {
        await fsp.rename(tmp, file);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        this.knownDirs.delete(dir);
      }
    }
    await fsp.mkdir(dir, { recursive: true });
    this.knownDirs.add(dir);
    await fsp.rename(tmp, file);
  }

  /**
   * Writes the parts (gathered, no join) to a temp file. With `stat`, also its mtime (kept with
   * a recorded ETag; size and mtime survive the rename).
   */
  private async writeTemp(parts: readonly Uint8Array[], stat: boolean): Promise<{ tmp: string; size: number; mtimeMs?: number }> {
    const tmp = this.tempName();
    const handle = await fsp.open(tmp, 'w');
    try {
      const size = await writeParts(handle, parts);
      if (!stat) return { tmp, size };
      const st = await handle.stat();
      return { tmp, size: st.size, mtimeMs: st.mtimeMs };
    } finally {
      await handle.close();
    }
  }
}

function md5(body: Uint8Array | readonly Uint8Array[]): string {
  const hash = createHash('md5');
  for (const part of Array.isArray(body) ? body : [body as Uint8Array]) hash.update(part);
  return hash.digest('hex');
}
