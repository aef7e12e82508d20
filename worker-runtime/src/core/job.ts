/**
 * One message's work: parse the event, convert every record it asks for, write the outputs.
 * Returns what to do with the message; it never touches the message itself (the Worker does),
 * so the rule "delete only when every record's output is written" lives in one place.
 */
import { isPermanent, PermanentError, TooLargeError } from './errors';
import { Handler, outputParts } from './handler';
import type { KeyMapper } from './key-mapping';
import { SOURCE_SEQUENCER, writeUnlessStale } from './output-ordering';
import type { DeadLetterReason, ObjectStore, QueueMessage } from './ports';
import { ObjectCreatedRecord, parseS3Event } from './s3-event';
import { checkMetadata, checkOutputKey, checkSourceKey } from './s3-limits';
import { FailureKind } from '../contract/failure-kinds';

export interface RecordResult {
  readonly bucket: string;
  readonly key: string;
  readonly outputKey?: string;
  readonly status: 'written' | 'ignored' | 'permanent-failure' | 'transient-failure';
  readonly kind?: string;
  readonly reason?: string;
  readonly durationMs?: number;
}

export type JobOutcome =
  /** Every record is done (written or deliberately ignored): delete the message. */
  | { readonly action: 'delete'; readonly records: RecordResult[] }
  /** At least one record can never succeed and none needs a retry: DLQ with reason, then delete. */
  | { readonly action: 'dead-letter'; readonly reason: DeadLetterReason; readonly records: RecordResult[] }
  /** At least one record failed transiently: keep the message and retry later. */
  | { readonly action: 'retry'; readonly error: unknown; readonly records: RecordResult[] };

export interface JobDeps {
  readonly store: ObjectStore;
  readonly handler: Handler;
  readonly keys: KeyMapper;
  /** Bucket outputs go to; undefined: the source object's bucket. */
  readonly outputBucket?: string;
  /** Inputs larger than this (per the event or the download) fail permanently without conversion. */
  readonly maxInputBytes?: number;
}

/** Header-safe ASCII for S3 user metadata (keys may hold any Unicode). */
function metadataValue(v: string): string {
  return encodeURIComponent(v);
}

/**
 * Kind and reason of anything a handler or an adapter threw. JavaScript can throw any value
 * (undefined, null, a string, a plain object), and every one of them must still be retried,
 * logged and counted like an Error.
 */
export function transientFailure(err: unknown): { kind: string; reason: string } {
  if (err instanceof Error) {
    const kind = (err as { kind?: unknown }).kind;
    return { kind: typeof kind === 'string' && kind !== '' ? kind : err.name || 'Error', reason: err.message || String(err) };
  }
  if (typeof err === 'object' && err !== null) {
    const o = err as { kind?: unknown; message?: unknown };
    let text: string;
    try { text = typeof o.message === 'string' ? o.message : JSON.stringify(err); } catch { text = String(err); }
    return { kind: typeof o.kind === 'string' && o.kind !== '' ? o.kind : FailureKind.THROWN_NON_ERROR, reason: text ?? String(err) };
  }
  return { kind: FailureKind.THROWN_NON_ERROR, reason: `threw a non-Error: ${typeof err === 'string' ? err : String(err)}` };
}

/** What the output records about its source (percent-encoded: S3 metadata is ASCII). */
function sourceMetadata(rec: ObjectCreatedRecord, handler: string, etag: string | undefined, versionId: string | undefined): Record<string, string> {
  const metadata: Record<string, string> = {
    'source-bucket': metadataValue(rec.bucket),
    'source-key': metadataValue(rec.key),
    'handler': metadataValue(handler),
  };
  if (etag) metadata['source-etag'] = metadataValue(etag.replace(/"/g, ''));
  if (versionId) metadata['source-version-id'] = metadataValue(versionId);
  if (rec.sequencer) metadata[SOURCE_SEQUENCER] = metadataValue(rec.sequencer);
  return metadata;
}

async function processRecord(rec: ObjectCreatedRecord, deps: JobDeps, signal: AbortSignal): Promise<RecordResult> {
  const started = Date.now();
  const decision = deps.keys.decide(rec.key);
  if (!decision.process) return { bucket: rec.bucket, key: rec.key, status: 'ignored', reason: decision.reason };
  const base = { bucket: rec.bucket, key: rec.key };
  try {
    // S3's limits, before any byte is read: what the output would break fails now, with the reason.
    checkSourceKey(rec.key);
    checkOutputKey(deps.keys.outputKey(rec.key, '')!);
    checkMetadata(sourceMetadata(rec, deps.handler.name, rec.etag, rec.versionId));
    if (deps.maxInputBytes !== undefined && rec.size !== undefined && rec.size > deps.maxInputBytes) {
      throw new TooLargeError(deps.maxInputBytes, rec.size);
    }
    // The event's version when it names one: a later upload is a later event's work.
    const obj = await deps.store.getObject(rec.bucket, rec.key, signal, { versionId: rec.versionId, maxBytes: deps.maxInputBytes });
    if (deps.maxInputBytes !== undefined && obj.body.length > deps.maxInputBytes) {
      throw new TooLargeError(deps.maxInputBytes, obj.body.length);
    }
    signal.throwIfAborted();
    const etag = obj.etag ?? rec.etag;
    const versionId = obj.versionId ?? rec.versionId;
    const out = await deps.handler.handle({ bucket: rec.bucket, key: rec.key, body: obj.body, etag, versionId }, { signal });
    signal.throwIfAborted();
    const outputKey = deps.keys.outputKey(rec.key, out.extension);
    if (outputKey === undefined) throw new Error(`no output key for ${rec.key}`); // unreachable: decide() said process
    checkOutputKey(outputKey);
    const metadata = sourceMetadata(rec, deps.handler.name, etag, versionId);
    checkMetadata(metadata);
    const write = await writeUnlessStale(deps.store, deps.outputBucket ?? rec.bucket, outputKey, outputParts(out),
      { contentType: out.contentType, metadata, signal }, rec.sequencer === undefined ? undefined : metadataValue(rec.sequencer));
    if (!write.written) {
      // A duplicate delivery, or an older event than the output's: the output is already right.
      return { ...base, outputKey, status: 'ignored', reason: write.reason, durationMs: Date.now() - started };
    }
    return { ...base, outputKey, status: 'written', durationMs: Date.now() - started };
  } catch (err) {
    const durationMs = Date.now() - started;
    if (isPermanent(err) && !signal.aborted) {
      return { ...base, status: 'permanent-failure', kind: err.kind, reason: err.message, durationMs };
    }
    const f = transientFailure(err);
    return { ...base, status: 'transient-failure', kind: signal.aborted ? FailureKind.ABORTED : f.kind, reason: f.reason, durationMs };
  }
}

/**
 * Runs a message's records one after the other (S3 sends one record per message in practice;
 * concurrency comes from running several messages). Stops at the first transient failure:
 * the whole message will be retried, and outputs already written are overwritten identically.
 */
export async function runJob(
  message: QueueMessage, deps: JobDeps, signal: AbortSignal,
  /** Told of each record as its work begins (a timeout names the record it stopped). */
  onRecord: (rec: ObjectCreatedRecord) => void = () => undefined,
): Promise<JobOutcome> {
  let event;
  try {
    event = parseS3Event(message.body);
  } catch (err) {
    const pe = err as PermanentError;
    return { action: 'dead-letter', reason: { kind: pe.kind, message: pe.message }, records: [] };
  }
  const results: RecordResult[] = [];
  for (const rec of event.records) {
    onRecord(rec);
    const r = await processRecord(rec, deps, signal);
    results.push(r);
    if (r.status === 'transient-failure') {
      return { action: 'retry', error: new Error(`${r.kind}: ${r.reason}`), records: results };
    }
  }
  const failed = results.filter((r) => r.status === 'permanent-failure');
  if (failed.length > 0) {
    const first = failed[0];
    const more = failed.length > 1 ? ` (and ${failed.length - 1} more record(s) failed)` : '';
    return {
      action: 'dead-letter',
      reason: { kind: first.kind ?? FailureKind.PERMANENT, message: `${first.reason ?? 'failed'}${more}`, bucket: first.bucket, key: first.key },
      records: results,
    };
  }
  return { action: 'delete', records: results };
}
