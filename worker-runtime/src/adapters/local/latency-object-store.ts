/**
 * An ObjectStore whose every request takes a fixed round trip longer: local mode's and
 * bench/pipeline's stand-in for S3's latency (`--storage-latency 80ms`), so that a worker on this
 * machine waits for storage the way it does on EC2 and its concurrency has to overlap the waits.
 *
 * The bytes move where they do on the wire: a GET's body arrives at the end of its round trip (the
 * wait comes first, then the read), a PUT's body leaves at its start and the answer comes a round
 * trip later (the write comes first, then the wait). Waiting before a write instead would hold every
 * output in memory for the whole round trip and copy it out of a cold cache, a cost S3 uploads do
 * not have (they stream the bytes as the request is sent).
 */
import type { GetOptions, ObjectHead, ObjectStore, PutOptions, StoredObject } from '../../core/ports';

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    function onAbort() { clearTimeout(t); reject(signal!.reason); }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export class LatencyObjectStore implements ObjectStore {
  constructor(private readonly inner: ObjectStore, private readonly latencyMs: number) {
    if (!Number.isFinite(latencyMs) || latencyMs < 0) throw new Error(`storage latency must be ≥ 0 ms, got ${latencyMs}`);
  }

  async getObject(bucket: string, key: string, signal?: AbortSignal, options?: GetOptions): Promise<StoredObject> {
    await delay(this.latencyMs, signal);
    return this.inner.getObject(bucket, key, signal, options);
  }

  async headObject(bucket: string, key: string, signal?: AbortSignal): Promise<ObjectHead | undefined> {
    await delay(this.latencyMs, signal);
    return this.inner.headObject(bucket, key, signal);
  }

  async putObject(bucket: string, key: string, body: Uint8Array | readonly Uint8Array[], options: PutOptions): Promise<void> {
    options.signal?.throwIfAborted();
    // The answer, a success or a refusal (a failed condition), comes back a round trip later.
    const outcome = await this.inner.putObject(bucket, key, body, options).then(
      () => ({ ok: true as const }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    await delay(this.latencyMs, options.signal);
    if (!outcome.ok) throw outcome.error;
  }
}

/** Parses `80ms`, `0.08s` or a bare number of milliseconds. */
export function parseLatency(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*$/.exec(text);
  if (!m) throw new Error(`storage latency '${text}' is not a duration: write e.g. 80ms or 0.08s`);
  return m[2] === 's' ? Number(m[1]) * 1000 : Number(m[1]);
}
