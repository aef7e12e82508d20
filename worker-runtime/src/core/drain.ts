/**
 * The end of a worker's life, once a drain has begun: jobs that finish before the deadline are
 * settled normally; at `deadline - margin` the rest are aborted and released (visibility 0);
 * then deletes are flushed, scale-in protection cleared, metrics flushed, and a lifecycle
 * action completed with CONTINUE. A lifecycle heartbeat keeps the instance while this runs.
 * Those last calls share a budget (`cleanupMs`), so the drain ends by `deadline + cleanupMs`
 * even when every endpoint accepts and never answers.
 */
import type { DeleteBatcher } from './delete-batcher';
import type { InFlight } from './in-flight';
import type { InstanceControl, InterruptionSource, LifecycleAction } from './ports';
import type { ReceiveLoop } from './receive-loop';
import type { ScaleInProtection } from './scale-in-protection';
import type { Settler } from './settle';
import { errorText, WorkerEmitter } from './worker-events';
import { waitAtMost } from '../util/sleep';

export interface DrainContext {
  readonly inFlight: InFlight;
  /** Read at each use: a later notice may bring it forward. */
  readonly deadline: () => number;
  readonly marginMs: number;
  /**
   * Budget of the drain's own calls once the jobs are done or released (the receive loop's end,
   * releases, deletes, protection, metrics, lifecycle): what has not answered by then is left.
   */
  readonly cleanupMs: number;
  readonly loop: ReceiveLoop;
  readonly loopDone: Promise<void>;
  readonly releasingWaiting: Promise<void>;
  readonly settler: Settler;
  readonly deletes: DeleteBatcher;
  readonly protection: ScaleInProtection;
  /** Flushes the metrics a last time. */
  readonly closeMetrics: () => Promise<void>;
  readonly interruptions?: InterruptionSource;
  readonly instance?: InstanceControl;
  /** Read at each use: a lifecycle notice may arrive after a drain began for another reason. */
  readonly lifecycleToComplete: () => LifecycleAction | undefined;
  readonly heartbeatSeconds: number;
  readonly events: WorkerEmitter;
}

export async function finishDrain(ctx: DrainContext): Promise<void> {
  const { inFlight, marginMs, events } = ctx;
  const heartbeat = ctx.instance ? setInterval(() => {
    const lifecycle = ctx.lifecycleToComplete();
    if (!lifecycle) return;
    ctx.instance!.recordLifecycleHeartbeat(lifecycle).then(
      () => events.emit('lifecycle_heartbeat', { ok: true, inFlight: inFlight.size }),
      (err) => events.emit('lifecycle_heartbeat', { ok: false, inFlight: inFlight.size, error: errorText(err) }),
    );
  }, ctx.heartbeatSeconds * 1000) : undefined;
  heartbeat?.unref();
  // The drain's own calls share one budget from the end of the jobs: an endpoint that never
  // answers cannot hold the drain (and the process, which systemd kills after its stop timeout).
  const cut: string[] = [];
  let until = Infinity;
  const within = async (step: string, p: Promise<unknown>): Promise<void> => {
    if (!(await waitAtMost(p, until - Date.now()))) cut.push(step);
  };
  try {
    while (inFlight.size > 0 && Date.now() < ctx.deadline() - marginMs) {
      await waitAtMost(Promise.race(inFlight.all().map((j) => j.done)), Math.min(1000, ctx.deadline() - marginMs - Date.now()));
    }
    const unfinished = inFlight.all().filter((j) => j.state === 'running');
    // Release only after the last poll has ended, or that poll could take the released messages.
    await waitAtMost(ctx.loopDone, ctx.deadline() - Date.now() - marginMs);
    ctx.loop.stop();
    until = Date.now() + ctx.cleanupMs;
    await within('receive loop', ctx.loopDone);
    if (unfinished.length > 0) {
      events.emit('drain_deadline', { count: unfinished.length });
      await within('releases', Promise.all(unfinished.map(async (j) => {
        j.released = true;
        j.controller.abort(new Error('drain deadline'));
        // Through the extender: a renewal in flight must not hide the message again after the release.
        await ctx.settler.release(j.message, j.extender);
      })));
    }
    // Handlers that ignore the abort are not waited for beyond the margin.
    await waitAtMost(Promise.all(inFlight.all().map((j) => j.done)), Math.min(marginMs, until - Date.now()));
    await within('prefetched releases', ctx.releasingWaiting);
    await within('deletes', ctx.deletes.flush());
    await Promise.all([within('scale-in protection', ctx.protection.release()), within('metrics', ctx.closeMetrics())]);
    const lifecycle = ctx.lifecycleToComplete();
    if (lifecycle && ctx.instance) {
      const instance = ctx.instance;
      await within('lifecycle action', instance.completeLifecycleAction(lifecycle, 'CONTINUE').then(
        () => events.emit('lifecycle_completed', { ok: true, hookName: lifecycle.hookName }),
        (err) => events.emit('lifecycle_completed', { ok: false, hookName: lifecycle.hookName, error: errorText(err) }),
      ));
    }
  } finally {
    if (heartbeat) clearInterval(heartbeat);
    ctx.interruptions?.stop();
  }
  if (cut.length > 0) events.emit('drain_cut_short', { steps: cut, budgetSeconds: ctx.cleanupMs / 1000 });
}
