/**
 * After the worker asked its group to terminate it (a drain that ends, docs/spot-interruptions.md),
 * the group runs the termination hook: the instance's target lifecycle state in IMDS turns
 * `Terminated` and the hook waits for its action to be completed. This waits for that state,
 * polling like the interruption watcher (imds-watcher.ts), and always within a bound: IMDS that
 * never answers, or never says `Terminated`, ends the wait at `timeoutMs`.
 */
import type { ImdsReader } from './imds-watcher';
import { sleep } from '../../util/sleep';

export interface TerminationWaitOptions {
  readonly client: Pick<ImdsReader, 'targetLifecycleState'>;
  readonly timeoutMs: number;
  /** @default 1000 */
  readonly pollIntervalMs?: number;
}

/** Resolves true once IMDS says `Terminated`, false when `timeoutMs` passed first. Never rejects. */
export async function waitForTerminatedState(options: TerminationWaitOptions): Promise<boolean> {
  const until = Date.now() + options.timeoutMs;
  const every = options.pollIntervalMs ?? 1000;
  while (Date.now() < until) {
    try {
      if ((await options.client.targetLifecycleState()) === 'Terminated') return true;
    } catch {
      // Not reachable right now: the next poll tries again, within the bound.
    }
    await sleep(Math.min(every, Math.max(0, until - Date.now())));
  }
  return false;
}
