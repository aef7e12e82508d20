/**
 * The per-job timeout: a job that runs longer than its limit gives its slot back without
 * waiting for the handler. Its signal is aborted (a handler that listens stops), and the outcome
 * is decided at once, so a handler that ignores the signal and never returns holds neither a
 * slot, nor the message's visibility, nor the instance's scale-in protection: the message is
 * retried with backoff, or, on the queue's last receive (where SQS's redrive would move it
 * without a reason), dead-lettered with the kind `timed-out`. Whatever the abandoned handler
 * returns later is dropped: job.ts checks the signal before it writes an output.
 */
import type { JobOutcome, RecordResult } from './job';
import type { QueueMessage } from './ports';
import { FailureKind } from '../contract/failure-kinds';

export class JobTimedOutError extends Error {
  public readonly kind = FailureKind.TIMED_OUT;
  constructor(readonly seconds: number) {
    super(`timed out after ${seconds} s`);
    this.name = 'JobTimedOutError';
  }
}

export interface JobTimeoutOptions {
  readonly seconds: number;
  /** The queue's redrive threshold, when known: the receive on which a timeout dead-letters. */
  readonly maxReceiveCount?: number;
  /** The record the job is working on (for the failure's bucket and key). */
  readonly current: () => { readonly bucket: string; readonly key: string } | undefined;
  /** Called when the timeout fires, before the outcome is returned. */
  readonly onTimeout?: (action: 'retry' | 'dead-letter') => void;
}

/** What a timed-out job's message becomes: retried, or dead-lettered on its last receive. */
export function timedOutOutcome(message: QueueMessage, options: JobTimeoutOptions, durationMs: number): JobOutcome {
  const error = new JobTimedOutError(options.seconds);
  const rec = options.current();
  const last = options.maxReceiveCount !== undefined && message.receiveCount >= options.maxReceiveCount;
  const records: RecordResult[] = rec ? [{
    bucket: rec.bucket,
    key: rec.key,
    status: last ? 'permanent-failure' : 'transient-failure',
    kind: FailureKind.TIMED_OUT,
    reason: error.message,
    durationMs,
  }] : [];
  if (!last) return { action: 'retry', error, records };
  return {
    action: 'dead-letter',
    reason: {
      kind: FailureKind.TIMED_OUT,
      message: `${error.message} on receive ${message.receiveCount} of ${options.maxReceiveCount}`,
      bucket: rec?.bucket,
      key: rec?.key,
    },
    records,
  };
}

/**
 * Runs `job` with `controller`'s signal; at `options.seconds` aborts it and resolves with the
 * timed-out outcome, whether or not the job ever ends.
 */
export function runWithTimeout(
  message: QueueMessage,
  job: (signal: AbortSignal) => Promise<JobOutcome>,
  controller: AbortController,
  options: JobTimeoutOptions,
): Promise<JobOutcome> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<JobOutcome>((resolve) => {
    timer = setTimeout(() => {
      const outcome = timedOutOutcome(message, options, Date.now() - started);
      options.onTimeout?.(outcome.action === 'dead-letter' ? 'dead-letter' : 'retry');
      resolve(outcome);
      controller.abort(new JobTimedOutError(options.seconds));
    }, options.seconds * 1000);
    timer.unref();
  });
  const ran = job(controller.signal);
  // The abandoned job may still fail later; nobody waits for it.
  ran.catch(() => undefined);
  return Promise.race([ran, timedOut]).finally(() => clearTimeout(timer));
}
