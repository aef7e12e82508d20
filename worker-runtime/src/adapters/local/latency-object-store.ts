/**
 * An ObjectStore that waits a fixed time before each request it passes on: local mode's and
 * bench/pipeline's stand-in for S3's round trip (`--storage-latency 80ms`), so that a worker on
 * this machine waits for storage the way it does on EC2 and its concurrency has to overlap the waits.
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
    await delay(this.latencyMs, options.signal);
    return this.inner.putObject(bucket, key, body, options);
  }
}

/** Parses `80ms`, `0.08s` or a bare number of milliseconds. */
export function parseLatency(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*$/.exec(text);
  if (!m) throw new Error(`storage latency '${text}' is not a duration: write e.g. 80ms or 0.08s`);
  return m[2] === 's' ? Number(m[1]) * 1000 : Number(m[1]);
}
