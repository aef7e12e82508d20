/**
 * A bucket that is a folder: object `a/b.jpg` is the file `<root>/a/b.jpg`. Writes are atomic
 * (temp file, then rename), so a reader never sees half a PDF. A write under the notification
 * prefix with a matching suffix raises an S3-shaped `ObjectCreated:Put` event into the queue,
 * as the construct's bucket notification does.
 *
 * The small calls around an object (stat, metadata file, rename) and the bodies of objects up to
 * SYNC_BODY_MAX_BYTES are synchronous: each touches little data in the page cache, and a thread-pool
 * round trip per call cost more CPU than the call itself, which made the stand-in, not the worker,
 * the limit of local mode at hundreds of objects a second. Larger bodies are read and written
 * asynchronously, so that one never holds the event loop for long.
 */
import { createHash, randomBytes } from 'crypto';
import { closeSync, Dirent, fstatSync, mkdirSync, openSync, promises as fsp, readFile, readFileSync, renameSync, statSync, writeFileSync } from 'fs';
import * as path from 'path';
import { promisify } from 'util';
import { objectCreatedNotification } from './s3-notification';
import { ObjectGoneError, OutputChangedError, TooLargeError } from '../../core/errors';
import type { GetOptions, ObjectHead, ObjectStore, PutOptions, StoredObject } from '../../core/ports';
import { writeParts, writePartsSync } from '../../util/gather-write';

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

/** Bodies up to this size are read and written with blocking calls (about a millisecond at most). */
const SYNC_BODY_MAX_BYTES = 4 * 1024 * 1024;

/** `fs.readFile` on an open descriptor, off the event loop (fs/promises reads only from a FileHandle or a path). */
const readFileAsync = promisify(readFile) as (fd: number) => Promise<Buffer>;

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
      const fd = openSync(this.pathOf(key), 'r');
      try {
        stat = fstatSync(fd);
        if (options.maxBytes !== undefined && stat.size > options.maxBytes) throw new TooLargeError(options.maxBytes, stat.size);
        body = stat.size <= SYNC_BODY_MAX_BYTES ? readFileSync(fd) : await readFileAsync(fd);
      } finally {
        closeSync(fd);
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') throw new ObjectGoneError(bucket, key);
      throw err;
    }
    let meta: StoredMeta | undefined;
    try {
      meta = JSON.parse(readFileSync(this.metaPathOf(key), 'utf8')) as StoredMeta;
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
    let stat: { size: number; mtimeMs: number } | undefined;
    try {
      stat = statSync(this.pathOf(key), { throwIfNoEntry: false });
    } catch {
      stat = undefined;
    }
    if (stat === undefined) return undefined;
    const meta = this.readMeta(key);
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
    this.atomicWrite(metaFile, JSON.stringify(meta));
    this.renameInto(data.tmp, file);
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

  private readMeta(key: string): StoredMeta | undefined {
    try {
      return JSON.parse(readFileSync(this.metaPathOf(key), 'utf8')) as StoredMeta;
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

  /**
   * Keys under a prefix, sorted. Only the prefix's folder is read, from directory entries alone
   * (the bucket writes its objects itself, as regular files): local mode counts outputs this way
   * several times a second, and a stat per object of the whole bucket made that scan compete with
   * the workers for the CPU.
   */
  async list(prefix = ''): Promise<string[]> {
    const slash = prefix.lastIndexOf('/');
    const base = slash < 0 ? '' : prefix.slice(0, slash);
    const keys: string[] = [];
    const visit = async (rel: string): Promise<void> => {
      let entries: Dirent[];
      try {
        entries = await fsp.readdir(rel === '' ? this.root : path.join(this.root, ...rel.split('/')), { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return;
        throw err;
      }
      for (const e of entries) {
        const key = rel === '' ? e.name : `${rel}/${e.name}`;
        if (e.isDirectory()) {
          if (`${key}/`.startsWith(prefix) || prefix.startsWith(`${key}/`)) await visit(key);
        } else if (e.isFile() && key.startsWith(prefix)) {
          keys.push(key);
        }
      }
    };
    await visit(base);
    return keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
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

  private atomicWrite(file: string, data: string): void {
    const tmp = this.tempName();
    writeFileSync(tmp, data);
    this.renameInto(tmp, file);
  }

  /**
   * Renames a temp file into place, creating the folder the first time this bucket writes there
   * (remembered, so a busy writer does not ask again per object; a folder removed since is made again).
   */
  private renameInto(tmp: string, file: string): void {
    const dir = path.dirname(file);
    if (this.knownDirs.has(dir)) {
      try {
        renameSync(tmp, file);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        this.knownDirs.delete(dir);
      }
    }
    mkdirSync(dir, { recursive: true });
    this.knownDirs.add(dir);
    renameSync(tmp, file);
  }

  /**
   * Writes the parts (gathered, no join) to a temp file. With `stat`, also its mtime (kept with
   * a recorded ETag; size and mtime survive the rename).
   */
  private async writeTemp(parts: readonly Uint8Array[], stat: boolean): Promise<{ tmp: string; size: number; mtimeMs?: number }> {
    const tmp = this.tempName();
    if (parts.reduce((n, p) => n + p.byteLength, 0) <= SYNC_BODY_MAX_BYTES) {
      const fd = openSync(tmp, 'w');
      try {
        const size = writePartsSync(fd, parts);
        if (!stat) return { tmp, size };
        const st = fstatSync(fd);
        return { tmp, size: st.size, mtimeMs: st.mtimeMs };
      } finally {
        closeSync(fd);
      }
    }
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
