/**
 * A drain that ends (docs/spot-interruptions.md, "After a rebalance recommendation"): once a drain
 * begun by a rebalance recommendation is over, the instance would stay in service, billed, with no
 * worker (the process exits 0 and systemd does not restart it). So the worker leaves its group,
 * keeping the desired capacity so the group launches a replacement, completes the termination
 * hook the group then runs, and only then exits.
 */
import type { Logger } from './logger';
import type { InstanceControl, InterruptionKind, LifecycleAction } from './ports';

/**
 * Whether a drain whose notices were `kinds` (in order) should end by leaving the group: it began
 * with a rebalance recommendation, and no Spot interruption (EC2 takes the instance anyway) or
 * lifecycle termination (the group is already terminating it, and the drain completed its hook)
 * came while it ran. A SIGTERM that came later does not change what the drain was for. An instance
 * that already left (the idle self-release, `leftAlready`) is being terminated by its group: a
 * second leave would be refused, and the refusal would make systemd start a worker again and again.
 */
export function drainEndsByLeaving(kinds: readonly InterruptionKind[], leftAlready = false): boolean {
  return !leftAlready && kinds[0] === 'rebalance-recommendation' && !kinds.includes('spot-interruption') && !kinds.includes('lifecycle-terminating');
}

export interface LeaveOptions {
  readonly instance: InstanceControl;
  /** The termination hook to complete once the group runs it; undefined: the group has none. */
  readonly lifecycleAction?: LifecycleAction;
  /** Waits at most `timeoutMs` for the group to start terminating this instance (IMDS `Terminated`). */
  readonly waitForTerminated: (timeoutMs: number) => Promise<boolean>;
  /** Bound of that wait: the hook's heartbeat timeout (after it the group goes on without us). */
  readonly timeoutMs: number;
  readonly logger: Logger;
}

/**
 * Leaves the group (desired capacity kept) and completes its termination hook. Resolves to the exit
 * code: 0 once left (the hook completed, or timed out on the group's side), 1 when the group
 * refused the leave, so that systemd starts a worker again rather than leave the instance idle.
 */
export async function leaveGroupAfterDrain(options: LeaveOptions): Promise<number> {
  const { instance, lifecycleAction, logger } = options;
  try {
    await instance.leaveGroup(false);
  } catch (err) {
    logger.error('could not leave the group after the drain; exiting with failure so a worker starts again', { error: (err as Error).message });
    return 1;
  }
  logger.info('left the group after a rebalance drain (desired capacity kept: the group launches a replacement)', {
    waitingForHook: lifecycleAction?.hookName,
  });
  if (!lifecycleAction) return 0;
  if (!await options.waitForTerminated(options.timeoutMs)) {
    logger.warn('the group did not start terminating this instance in time; exiting (its hook times out on its own)', { timeoutMs: options.timeoutMs });
    return 0;
  }
  try {
    await instance.completeLifecycleAction(lifecycleAction, 'CONTINUE');
    logger.info('termination hook completed after leaving the group', { hookName: lifecycleAction.hookName });
  } catch (err) {
    logger.warn('could not complete the termination hook; it times out on its own', { hookName: lifecycleAction.hookName, error: (err as Error).message });
  }
  return 0;
}
