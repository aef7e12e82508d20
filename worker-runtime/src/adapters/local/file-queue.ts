/**
 * A durable work queue in a folder, with SQS semantics, safe for several processes at once.
 *
 * Every message is ONE file in `<dir>/messages/`, named `<id>.<receiveCount>.<token>.msg`;
 * its content (id, body, attributes, send time) is written once and never changed. All state
 * lives in the file's name and its modification time:
 *  - receive count and current receipt handle are in the name (the handle IS the name);
 *  - the time the message becomes visible again is the file's mtime.
 * Every state change is a single atomic `rename`, `utimes` or `unlink`, so at most one process
 * wins a race and a process killed at any instant leaves every message either visible, in
 * flight (it reappears when its visibility ends) or deleted — never lost, never half-written.
 *
 * A receive or a visibility change touches only a few hundred bytes of metadata in the page cache,
 * so those calls are synchronous: a thread-pool round trip per call cost more CPU than the call,
 * and with hundreds of messages a second that overhead, not the worker, limited local mode. Sends
 * (they fsync) and deletes (an unlink frees an inode) stay asynchronous.
 *
 * Receiving moves the mtime to the end of the visibility timeout BEFORE renaming to the new
 * handle, so a message is never seen as visible under its new name. A delete or visibility
 * change with a handle that is no longer current (another receiver took the message after its
 * visibility ended) fails, as SQS does for a message received again.
 */
import { randomBytes } from 'crypto';
import { promises as fsp, readFileSync, renameSync, statSync, utimesSync } from 'fs';
import * as path from 'path';
import type {
  DeadLetterReason, DeleteEntry, DeleteResult, QueueDepth, QueueMessage, ReceiveOptions, WorkQueue,
} from '../../core/ports';
import { sleep } from '../../util/sleep';

/** SQS's limits, enforced so local mode fails where SQS would. */
export const MAX_VISIBILITY_SECONDS = 43_200;
export const MAX_WAIT_SECONDS = 20;
export const MAX_BATCH = 10;

/** The SQS API actions a call corresponds to (for the billed-requests estimate). */
export type QueueAction = 'SendMessage' | 'ReceiveMessage' | 'DeleteMessageBatch' | 'ChangeMessageVisibility' | 'GetQueueAttributes';

export interface FileQueueOptions {
  /** The queue's folder (created if missing). */
  readonly dir: string;
  /** @default 30 */
  readonly visibilityTimeoutSeconds?: number;
  /** Where messages go once received `maxReceiveCount` times without being deleted. */
  readonly deadLetterQueue?: FileQueue;
  /** @default 5 (the construct's redrive default) */
  readonly maxReceiveCount?: number;
  /** How often a long poll looks for new messages. @default 50 ms */
  readonly pollIntervalMs?: number;
  /** Called once per API-equivalent request (SQS bills per request). */
  readonly onRequest?: (action: QueueAction) => void;
}

export interface SendOptions {
  readonly attributes?: Record<string, string>;
  /** Like SQS DelaySeconds. */
  readonly delaySeconds?: number;
}

/** A message as stored, for inspection (DLQ listing, tests). */
export interface StoredMessage {
  readonly messageId: string;
  readonly body: string;
  readonly attributes: Record<string, string>;
  readonly sentAt: number;
  readonly receiveCount: number;
  /** Epoch ms from which the message is visible. */
  readonly visibleAt: number;
}

export interface QueueStats {
  /** ApproximateNumberOfMessages */
  readonly visible: number;
  /** ApproximateNumberOfMessagesNotVisible */
  readonly inFlight: number;
}

interface MessageFile {
  readonly messageId: string;
  readonly body: string;
  readonly attributes: Record<string, string>;
  readonly sentAt: number;
}

/** A send takes milliseconds; a temp file this old belongs to a sender that died. */
const STALE_TEMP_MS = 10 * 60 * 1000;

/** How long a receive trusts that a message it saw in flight is still in flight (see FileQueue.seenInvisible). */
const INVISIBLE_CACHE_MS = 1000;

/** How long receives reuse this process's last listing of the messages folder (see FileQueue.listing). */
const LISTING_REUSE_MS = 100;

const NAME = /^([0-9a-z]+-[0-9a-f]+)\.(\d+)\.([0-9a-z]+)\.msg$/;

/** Thrown for calls SQS would reject (bad handle, limits). */
export class QueueError extends Error {
  constructor(public readonly code: string, message: string) {
    super(message);
    this.name = 'QueueError';
  }
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === 'ENOENT';
}

let sequence = 0;

/** Sortable by send time, unique across processes. */
function newMessageId(now: number): string {
  sequence = (sequence + 1) % 0xffff;
  return `${now.toString(36).padStart(9, '0')}-${sequence.toString(16).padStart(4, '0')}${randomBytes(6).toString('hex')}`;
}

export class FileQueue implements WorkQueue {
  readonly dir: string;
  private readonly messagesDir: string;
  private readonly tmpDir: string;
  private readonly visibilitySeconds: number;
  private readonly maxReceives: number;
  private readonly pollIntervalMs: number;
  private readonly deadLetterQueue?: FileQueue;
  private readonly onRequest?: (action: QueueAction) => void;
  /**
   * Messages this process last saw in flight (not visible before `visibleAt`), so a receive does
   * not stat every in-flight file before it reaches a visible one: the oldest messages are the ones
   * in flight, and with tens of jobs per worker those stats made receiving, not converting, the
   * local pipeline's limit. An entry is trusted for `INVISIBLE_CACHE_MS` only, so a message another
   * process released early is seen again within that; this process's own calls update it at once.
   */
  private readonly seenInvisible = new Map<string, { readonly visibleAt: number; readonly seenAt: number }>();
  /**
   * The messages folder as this process last listed it, reused by receives for LISTING_REUSE_MS:
   * listing and sorting thousands of names on every receive cost a worker more than its receives'
   * own calls. A message another process sends meanwhile is seen up to that much later (SQS, too,
   * is only eventually consistent); this process's own sends and visibility changes drop the
   * listing. `gone` holds the names of the listing this process has since taken, redriven or
   * found missing.
   */
  private listing?: { readonly names: readonly string[]; readonly at: number; readonly gone: Set<string> };

  constructor(options: FileQueueOptions) {
    this.dir = path.resolve(options.dir);
    this.messagesDir = path.join(this.dir, 'messages');
    this.tmpDir = path.join(this.dir, 'tmp');
    this.visibilitySeconds = options.visibilityTimeoutSeconds ?? 30;
    this.maxReceives = options.maxReceiveCount ?? 5;
    this.pollIntervalMs = options.pollIntervalMs ?? 50;
    this.deadLetterQueue = options.deadLetterQueue;
    this.onRequest = options.onRequest;
    if (!(this.visibilitySeconds >= 0 && this.visibilitySeconds <= MAX_VISIBILITY_SECONDS)) {
      throw new QueueError('InvalidParameterValue', `visibility timeout ${this.visibilitySeconds} s must be 0..${MAX_VISIBILITY_SECONDS}`);
    }
    if (!(Number.isInteger(this.maxReceives) && this.maxReceives >= 1 && this.maxReceives <= 1000)) {
      throw new QueueError('InvalidParameterValue', `maxReceiveCount ${this.maxReceives} must be a whole number 1..1000`);
    }
  }

  /**
   * Creates the folders and removes temp files a killed sender left behind (its send never
   * returned, so it never happened). Idempotent; every process calls it before use.
   */
  async init(): Promise<this> {
    await fsp.mkdir(this.messagesDir, { recursive: true });
    await fsp.mkdir(this.tmpDir, { recursive: true });
    const staleBefore = Date.now() - STALE_TEMP_MS;
    for (const name of await fsp.readdir(this.tmpDir)) {
      try {
        const file = path.join(this.tmpDir, name);
        if ((await fsp.stat(file)).mtimeMs < staleBefore) await fsp.unlink(file);
      } catch {
        // Renamed into place or removed by another process meanwhile.
      }
    }
    await this.deadLetterQueue?.init();
    return this;
  }

  async visibilityTimeoutSeconds(): Promise<number> {
    return this.visibilitySeconds;
  }

  async maxReceiveCount(): Promise<number | undefined> {
    return this.deadLetterQueue ? this.maxReceives : undefined;
  }

  /** SendMessage: durable once it returns (file and folder entry fsynced). */
  async send(body: string, options: SendOptions = {}): Promise<string> {
    this.count('SendMessage');
    this.listing = undefined;
    const now = Date.now();
    const id = newMessageId(now);
    await this.writeMessage(`${id}.0.${randomBytes(4).toString('hex')}.msg`, {
      messageId: id,
      body,
      attributes: options.attributes ?? {},
      sentAt: now,
    }, now + (options.delaySeconds ?? 0) * 1000);
    return id;
  }

  async receive(options: ReceiveOptions): Promise<QueueMessage[]> {
    this.count('ReceiveMessage');
    const max = options.maxMessages;
    if (!(Number.isInteger(max) && max >= 1 && max <= MAX_BATCH)) {
      throw new QueueError('InvalidParameterValue', `maxMessages ${max} must be 1..${MAX_BATCH}`);
    }
    const wait = options.waitTimeSeconds;
    if (!(wait >= 0 && wait <= MAX_WAIT_SECONDS)) {
      throw new QueueError('InvalidParameterValue', `waitTimeSeconds ${wait} must be 0..${MAX_WAIT_SECONDS}`);
    }
    const deadline = Date.now() + wait * 1000;
    for (;;) {
      const got = await this.tryReceive(max);
      const left = deadline - Date.now();
      if (got.length > 0 || left <= 0 || options.signal?.aborted) return got;
      await sleep(Math.min(this.pollIntervalMs, left), options.signal);
    }
  }

  async deleteBatch(entries: ReadonlyArray<DeleteEntry>): Promise<DeleteResult> {
    this.count('DeleteMessageBatch');
    if (entries.length < 1 || entries.length > MAX_BATCH) {
      throw new QueueError('TooManyEntriesInBatchRequest', `a batch holds 1..${MAX_BATCH} entries, got ${entries.length}`);
    }
    // Unlinks are the one call here that is not cheap (the file system frees an inode): they run
    // side by side on the thread pool rather than hold the event loop.
    const results = await Promise.all(entries.map(async (entry) => {
      if (!NAME.test(entry.receiptHandle)) return { id: entry.id, code: 'ReceiptHandleIsInvalid', message: 'not a receipt handle of this queue' };
      this.seenInvisible.delete(entry.receiptHandle);
      try {
        await fsp.unlink(path.join(this.messagesDir, entry.receiptHandle));
        return undefined;
      } catch (err) {
        if (!isMissing(err)) throw err;
        return { id: entry.id, code: 'ReceiptHandleIsInvalid', message: 'the message was deleted or received again since this handle was issued' };
      }
    }));
    return { failed: results.filter((r): r is { id: string; code: string; message: string } => r !== undefined) };
  }

  async changeVisibility(receiptHandle: string, timeoutSeconds: number): Promise<void> {
    this.count('ChangeMessageVisibility');
    if (!(timeoutSeconds >= 0 && timeoutSeconds <= MAX_VISIBILITY_SECONDS)) {
      throw new QueueError('InvalidParameterValue', `visibility timeout ${timeoutSeconds} s must be 0..${MAX_VISIBILITY_SECONDS}`);
    }
    if (!NAME.test(receiptHandle)) throw new QueueError('ReceiptHandleIsInvalid', 'not a receipt handle of this queue');
    const until = new Date(Date.now() + timeoutSeconds * 1000);
    this.seenInvisible.delete(receiptHandle);
    // The listing holds the names from before this message was received, not its handle.
    this.listing = undefined;
    try {
      utimesSync(path.join(this.messagesDir, receiptHandle), until, until);
      if (timeoutSeconds > 0) this.seenInvisible.set(receiptHandle, { visibleAt: until.getTime(), seenAt: Date.now() });
    } catch (err) {
      if (isMissing(err)) throw new QueueError('MessageNotInflight', 'the message was deleted or received again since this handle was issued');
      throw err;
    }
  }

  async sendToDeadLetter(message: QueueMessage, reason: DeadLetterReason): Promise<void> {
    if (!this.deadLetterQueue) throw new QueueError('NoDeadLetterQueue', 'this queue has no dead-letter queue');
    this.count('SendMessage');
    const attributes: Record<string, string> = {
      FailureKind: reason.kind,
      FailureReason: reason.message.slice(0, 1024),
      OriginalMessageId: message.messageId,
      OriginalReceiveCount: String(message.receiveCount),
    };
    if (reason.key !== undefined) attributes.SourceKey = reason.key;
    if (reason.bucket !== undefined) attributes.SourceBucket = reason.bucket;
    // Named after the original message: a retry after a crash replaces the entry instead of duplicating it.
    await this.deadLetterQueue.writeMessage(`${message.messageId}.0.dlq.msg`, {
      messageId: message.messageId,
      body: message.body,
      attributes,
      sentAt: message.sentAt ?? Date.now(),
    }, Date.now());
  }

  /**
   * GetQueueAttributes (approximate counts), what the scaler reads. The modification times are
   * read synchronously: local mode samples the queue four times a second, and one system call per
   * message costs a fraction of an asynchronous stat's round trip through the thread pool, whose
   * cost on a backlog of thousands took CPU from the workers.
   */
  async stats(): Promise<QueueStats> {
    this.count('GetQueueAttributes');
    const now = Date.now();
    let visible = 0;
    let inFlight = 0;
    for (const name of await this.names()) {
      const st = statSync(path.join(this.messagesDir, name), { throwIfNoEntry: false });
      if (st === undefined) continue; // deleted or received (renamed) meanwhile
      if (st.mtimeMs <= now) visible++;
      else inFlight++;
    }
    return { visible, inFlight };
  }

  /** The WorkQueue port's view of `stats()` (one GetQueueAttributes). */
  async approximateDepth(): Promise<QueueDepth> {
    const { visible, inFlight } = await this.stats();
    return { visible, notVisible: inFlight };
  }

  /** Every message with its state, oldest first (no request counted: an inspection, not an API call). */
  async list(): Promise<StoredMessage[]> {
    const out: StoredMessage[] = [];
    for (const name of await this.names()) {
      const m = NAME.exec(name)!;
      try {
        const file = path.join(this.messagesDir, name);
        const [st, raw] = await Promise.all([fsp.stat(file), fsp.readFile(file, 'utf8')]);
        const content = JSON.parse(raw) as MessageFile;
        out.push({ ...content, receiveCount: Number(m[2]), visibleAt: st.mtimeMs });
      } catch (err) {
        if (!isMissing(err)) throw err;
      }
    }
    return out;
  }

  private count(action: QueueAction): void {
    this.onRequest?.(action);
  }

  private async names(): Promise<string[]> {
    const all = await fsp.readdir(this.messagesDir);
    return all.filter((n) => NAME.test(n)).sort();
  }

  /** Write-then-rename: a reader never sees a partial message, a crash leaves only a temp file. */
  private async writeMessage(name: string, content: MessageFile, visibleAt: number): Promise<void> {
    const tmp = path.join(this.tmpDir, `${name}.${process.pid}.${randomBytes(4).toString('hex')}`);
    const fh = await fsp.open(tmp, 'w');
    try {
      await fh.writeFile(JSON.stringify(content));
      const at = new Date(visibleAt);
      await fh.utimes(at, at);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, path.join(this.messagesDir, name));
    await this.syncDir(this.messagesDir);
  }

  private async syncDir(dir: string): Promise<void> {
    const fh = await fsp.open(dir, 'r');
    try {
      await fh.sync();
    } catch {
      // Some filesystems refuse fsync on a directory; the rename itself is still atomic.
    } finally {
      await fh.close();
    }
  }

  /** Drops entries of messages that are gone (deleted, or renamed by another process's receive). */
  private forgetGone(names: readonly string[]): void {
    if (this.seenInvisible.size <= names.length + 256) return;
    const present = new Set(names);
    for (const name of this.seenInvisible.keys()) if (!present.has(name)) this.seenInvisible.delete(name);
  }

  private async currentListing(now: number): Promise<NonNullable<FileQueue['listing']>> {
    if (this.listing && now - this.listing.at < LISTING_REUSE_MS) return this.listing;
    const names = await this.names();
    this.forgetGone(names);
    this.listing = { names, at: now, gone: new Set() };
    return this.listing;
  }

  private async tryReceive(max: number): Promise<QueueMessage[]> {
    const got: QueueMessage[] = [];
    const now = Date.now();
    const { names, gone } = await this.currentListing(now);
    for (const name of names) {
      if (got.length >= max) break;
      if (gone.has(name)) continue;
      const seen = this.seenInvisible.get(name);
      if (seen && seen.visibleAt > now && now - seen.seenAt < INVISIBLE_CACHE_MS) continue;
      const m = NAME.exec(name)!;
      const [, id, countText] = m;
      const receiveCount = Number(countText);
      const file = path.join(this.messagesDir, name);
      try {
        const st = statSync(file);
        if (st.mtimeMs > now) {
          this.seenInvisible.set(name, { visibleAt: st.mtimeMs, seenAt: now });
          continue;
        }
        this.seenInvisible.delete(name);
        gone.add(name);
        if (this.deadLetterQueue && receiveCount >= this.maxReceives) {
          // Redrive, as SQS does when a message would be received more than maxReceiveCount times.
          // The name (with its receive count) moves along; no reason attribute: it is the backstop.
          renameSync(file, path.join(this.deadLetterQueue.messagesDir, name));
          continue;
        }
        const handle = `${id}.${receiveCount + 1}.${randomBytes(8).toString('hex')}.msg`;
        const until = new Date(now + this.visibilitySeconds * 1000);
        utimesSync(file, until, until);
        renameSync(file, path.join(this.messagesDir, handle));
        this.seenInvisible.set(handle, { visibleAt: until.getTime(), seenAt: now });
        const content = JSON.parse(readFileSync(path.join(this.messagesDir, handle), 'utf8')) as MessageFile;
        got.push({ messageId: content.messageId, receiptHandle: handle, body: content.body, receiveCount: receiveCount + 1, sentAt: content.sentAt });
      } catch (err) {
        // Another process took, deleted or re-received it first: not ours.
        if (!isMissing(err)) throw err;
        gone.add(name);
      }
    }
    return got;
  }
}
