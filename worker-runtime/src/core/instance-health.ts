/**
 * What `spot-worker run` tells its Auto Scaling group about starting: the launching hook completed
 * with CONTINUE once the worker is ready (the group puts the instance in service only then), and,
 * when the worker cannot start (a configuration it rejects, or too many starts in the window),
 * the instance reported unhealthy so the group replaces it, with a metric that makes a broken
 * deployment visible (InstancesMarkedUnhealthy; the construct alarms on it).
 */
import type { Logger } from './logger';
import type { InstanceControl, LifecycleAction, MetricsSink } from './ports';
import { Metrics } from '../contract/runtime-metrics';
import { sleep } from '../util/sleep';

/** Why a worker gave up on its instance (the `reason` of the log line). */
export type GiveUpReason = 'configuration-rejected' | 'start-limit';

export interface GiveUpParts {
  readonly instance: InstanceControl;
  readonly metrics: MetricsSink;
  /** The launching hook, when the group has one: abandoned too (an instance still in Pending:Wait). */
  readonly launchHook?: LifecycleAction;
  readonly logger: Logger;
}

/**
 * True for the error Auto Scaling answers when there is no lifecycle action waiting for this
 * instance (the hook was already completed by an earlier start, or timed out).
 */
export function isNoActiveLifecycleAction(err: unknown): boolean {
  const e = err as { name?: string; message?: string } | null;
  return e?.name === 'ValidationError' && /no active lifecycle action/i.test(e.message ?? '');
}

/**
 * Publishes InstancesMarkedUnhealthy = 1, then reports the instance unhealthy (SetInstanceHealth)
 * and abandons the launching hook when there is one; whichever applies to the instance's state
 * takes effect (an instance in Pending:Wait is not health-checked yet; one in service has no
 * launch action left). Resolves true when either call was accepted. Never throws.
 */
export async function giveUpOnInstance(parts: GiveUpParts, reason: GiveUpReason, fields: Record<string, unknown>): Promise<boolean> {
  const { instance, metrics, launchHook, logger } = parts;
  metrics.record(Metrics.INSTANCES_MARKED_UNHEALTHY, 1, 'Count');
  try {
    await metrics.flush();
  } catch (err) {
    logger.warn('could not publish InstancesMarkedUnhealthy', { error: (err as Error).message });
  }
  let accepted = false;
  try {
    await instance.markUnhealthy();
    accepted = true;
  } catch (err) {
    logger.warn('could not mark the instance unhealthy', { error: (err as Error).message });
  }
  if (launchHook) {
    try {
      await instance.completeLifecycleAction(launchHook, 'ABANDON');
      accepted = true;
    } catch (err) {
      if (!isNoActiveLifecycleAction(err)) logger.warn('could not abandon the launching hook', { hookName: launchHook.hookName, error: (err as Error).message });
    }
  }
  if (accepted) logger.error('instance marked unhealthy: the group replaces it', { reason, ...fields });
  return accepted;
}

export interface ReadyOptions {
  /** Attempts beyond the SDK's own retries. @default 5 */
  readonly attempts?: number;
  /** First pause between attempts (doubled each time). @default 2000 */
  readonly firstDelayMs?: number;
  /** Stops trying (the worker stopped before the hook could be completed). */
  readonly signal?: AbortSignal;
}

/**
 * Completes the launching hook with CONTINUE: the worker is ready (configuration read, clients
 * built, the receive loop running). By instance id, without a token (the runtime never sees
 * the launch notification). "No active lifecycle action" means an earlier start completed it:
 * nothing to do. Other failures are tried again a few times; if all fail the hook's timeout
 * abandons the launch and the group replaces the instance. Never throws; resolves true once completed.
 */
export async function completeLaunch(instance: InstanceControl, hook: LifecycleAction, logger: Logger, options: ReadyOptions = {}): Promise<boolean> {
  const attempts = options.attempts ?? 5;
  let delay = options.firstDelayMs ?? 2000;
  for (let attempt = 1; ; attempt++) {
    try {
      await instance.completeLifecycleAction(hook, 'CONTINUE');
      logger.info('launch hook completed: instance in service', { hookName: hook.hookName });
      return true;
    } catch (err) {
      if (isNoActiveLifecycleAction(err)) {
        logger.info('launch hook not pending (completed by an earlier start)', { hookName: hook.hookName });
        return false;
      }
      if (attempt >= attempts || options.signal?.aborted) {
        logger.error('could not complete the launch hook; its timeout will abandon the launch', { hookName: hook.hookName, attempts, error: (err as Error).message });
        return false;
      }
      logger.warn('launch hook completion failed; trying again', { hookName: hook.hookName, attempt, retryInMs: delay, error: (err as Error).message });
      await sleep(delay, options.signal);
      delay *= 2;
    }
  }
}
