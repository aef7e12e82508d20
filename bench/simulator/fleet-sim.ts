/**
 * The discrete-event simulation of one fleet: an SQS queue (visible and in-flight messages,
 * visibility timeouts), the workers on each instance, CloudWatch metrics with their publishing delay,
 * the alarms of every scaling policy evaluated once a minute, an Auto Scaling group that boots
 * instances and terminates them (honouring scale-in protection when the worker sets it), and Spot
 * interruptions with their two-minute notice.
 */
import { EventQueue } from './event-queue';
import { FleetPolicy } from './policy';
import { SeededRandom } from './rng';
import { Trace } from './traces';
import { queryPeriod, targetTrackingAlarms } from '../../src/contract/alarm-evaluation';
import { MetricDelays, MetricStore } from '../../src/contract/metric-store';
import { evaluatePolicies, INITIAL_POLICY_MEMORY } from '../../src/contract/scaling-model';
import { MetricQuery } from '../../src/contract/scaling-plan';
import { ArrivalSpacing } from '../../worker-runtime/src/core/arrival-spacing';
import { EARLY_ATTEMPTS } from '../../worker-runtime/src/core/idle-release';

export interface SimConfig {
  readonly seed: number;
  /** Launch to worker polling (instance boot, user data, runtime start), seconds. */
  readonly bootSeconds: number;
  readonly metricDelays: MetricDelays;
  /** Spot interruptions per instance-hour (exponential lifetimes). */
  readonly spotInterruptionsPerInstanceHour: number;
  readonly spotNoticeSeconds: number;
  readonly visibilityTimeoutSeconds: number;
  /** Probability that one attempt fails transiently (S3 hiccup, throttling). */
  readonly transientFailureRate: number;
  /** Receives after which a failing message goes to the DLQ (redrive maxReceiveCount). */
  readonly maxReceiveCount: number;
  /** Coefficient of variation of the per-image service time. */
  readonly serviceCv: number;
  /** Our runtime keeps scale-in protection this long after its last job. */
  readonly idleGraceSeconds: number;
  /**
   * SQS: a queue with no messages and no API calls for `afterSeconds` is inactive; when activated,
   * its CloudWatch metrics are delayed by up to `metricDelaySeconds` (docs/benchmarks.md cites AWS).
   * @default none
   */
  readonly inactiveQueue?: { readonly afterSeconds: number; readonly metricDelaySeconds: number };
}

export const DEFAULT_SIM_CONFIG: SimConfig = {
  seed: 20261123,
  bootSeconds: 90,
  metricDelays: { sqsSeconds: 120, groupSeconds: 60 },
  spotInterruptionsPerInstanceHour: 0.02,
  spotNoticeSeconds: 120,
  visibilityTimeoutSeconds: 300,
  transientFailureRate: 0.002,
  maxReceiveCount: 5,
  serviceCv: 0.5,
  idleGraceSeconds: 60,
};

export interface TimelinePoint {
  readonly minute: number;
  readonly visible: number;
  readonly inService: number;
  readonly desired: number;
}

export interface SimResult {
  readonly policy: string;
  readonly trace: string;
  readonly images: number;
  readonly completed: number;
  readonly instanceHours: number;
  readonly idleInstanceHours: number;
  /** Σ max(0, idle stretch − scale-in delay): idle time the policy's own scale-in rule does not explain. */
  readonly idleBeyondScaleInHours: number;
  readonly scaleInDelaySeconds: number;
  readonly p50Seconds: number;
  readonly p95Seconds: number;
  /** Deleted without an output (the sample deletes failed conversions). */
  readonly lost: number;
  /** Moved to the DLQ after maxReceiveCount failures (kept, with a reason). */
  readonly deadLettered: number;
  /** Still queued or in flight at the horizon. */
  readonly unfinished: number;
  readonly sqsRequests: number;
  readonly emptyReceives: number;
  /** Auto Scaling API calls by the fleet's own code: the wake function, the workers' protection and self-release. */
  readonly autoscalingCalls: number;
  /** Seconds from the first upload until the desired capacity was ≥ 1 (0 when it already was). */
  readonly wakeSeconds: number | undefined;
  readonly spotInterruptions: number;
  readonly maxInService: number;
  /** Seconds from the first upload to the first instance in service (0 when one was already running). */
  readonly firstInstanceSeconds: number | undefined;
  /** Whether the group was back at zero instances at the horizon. */
  readonly endsAtZero: boolean;
  readonly timeline: TimelinePoint[];
}

interface Message {
  readonly id: number;
  readonly arrival: number;
  visibleAt: number;
  receives: number;
  state: 'queued' | 'inflight' | 'done' | 'lost' | 'dlq';
}

interface Instance {
  readonly id: number;
  readonly launchedAt: number;
  state: 'pending' | 'inService' | 'terminated';
  inServiceAt?: number;
  terminatedAt?: number;
  /** Draining after a Spot notice: takes no new work. */
  draining: boolean;
  jobs: Set<Job>;
  /** Whether a receive is outstanding (long poll waiting, or sleeping before the next poll). */
  polling: boolean;
  pollToken: number;
  lastJobEndAt: number;
  idleSince?: number;
  /** The send times of the first deliveries it took (the runtime's early-leave evidence). */
  readonly spacing: ArrivalSpacing;
  /** Early leave attempts since its last message that did not end in a leave. */
  earlyAttempts: number;
}

interface Job {
  readonly message: Message;
  readonly instance: Instance;
  readonly finishAt: number;
  readonly fails: boolean;
  cancelled: boolean;
}

type SimEvent =
  | { kind: 'arrival'; message: Message }
  | { kind: 'visible'; message: Message; receivesAtHide: number }
  | { kind: 'boot'; instance: Instance }
  | { kind: 'poll'; instance: Instance; token: number }
  | { kind: 'finish'; job: Job }
  | { kind: 'minute'; minute: number }
  | { kind: 'evaluate' }
  | { kind: 'spot-notice'; instance: Instance }
  | { kind: 'spot-terminate'; instance: Instance }
  | { kind: 'wake' }
  | { kind: 'release-check'; instance: Instance; idleSince: number };

/** Seconds from an empty queue until an idle instance is terminated, by the policy's slowest scale-in path. */
export function scaleInDelaySeconds(fleet: FleetPolicy, config: SimConfig): number {
  let worst = 0;
  const delayOf = (q: MetricQuery): number => Math.max(...Object.values(q.metrics).map((m) => (m.metric.startsWith('Group') ? config.metricDelays.groupSeconds : config.metricDelays.sqsSeconds)));
  for (const p of fleet.policies) {
    if (p.kind === 'target-tracking') {
      if (p.disableScaleIn) continue;
      const low = targetTrackingAlarms(p).low;
      worst = Math.max(worst, low.evaluationPeriods * queryPeriod(p.query) + delayOf(p.query));
    } else if (p.steps.some((s) => s.adjustment < 0) || (p.adjustmentType === 'ExactCapacity' && p.steps.some((s) => s.adjustment === 0))) {
      worst = Math.max(worst, p.alarm.evaluationPeriods * queryPeriod(p.alarm.query) + delayOf(p.alarm.query) + p.cooldownSeconds);
    }
  }
  // + one evaluation interval and one minute of period alignment, + the runtime's idle grace.
  return worst + 120 + (fleet.worker.protectsBusyInstances ? config.idleGraceSeconds : 0);
}

export function simulate(fleet: FleetPolicy, trace: Trace, config: SimConfig = DEFAULT_SIM_CONFIG): SimResult {
  const rng = new SeededRandom(config.seed);
  const spotRng = new SeededRandom(config.seed + 7919);
  const events = new EventQueue<SimEvent>();
  const metrics = new MetricStore(config.metricDelays);
  const w = fleet.worker;

  const messages: Message[] = trace.arrivals.map((arrival, id) => ({ id, arrival, visibleAt: arrival, receives: 0, state: 'queued' }));
  for (const m of messages) events.push(m.arrival, { kind: 'arrival', message: m });
  /** Visible messages, oldest first (SQS standard queues are only roughly ordered; FIFO is a fair stand-in). */
  const ready: Message[] = [];
  let readyHead = 0;
  const instances: Instance[] = [];
  const waiting: Instance[] = [];
  const latencies: number[] = [];
  const idleStretches: number[] = [];
  const timeline: TimelinePoint[] = [];
  let desired = fleet.minCapacity;
  let sqsRequests = 0;
  let emptyReceives = 0;
  let spotInterruptions = 0;
  let lost = 0;
  let deadLettered = 0;
  let firstInstanceAt: number | undefined;
  let autoscalingCalls = 0;
  let firstDesiredAt: number | undefined;
  let lastWakeCheck = -Infinity;
  // The queue was in use when the trace starts; it goes inactive after a long quiet spell.
  let lastQueueActivity = 0;
  let sqsDelayedUntil = -Infinity;
  let policyMemory = INITIAL_POLICY_MEMORY;
  let now = 0;

  const visibleCount = (): number => ready.length - readyHead;
  const inService = (): Instance[] => instances.filter((i) => i.state === 'inService');
  const alive = (): Instance[] => instances.filter((i) => i.state !== 'terminated');

  const sqsCall = (n = 1): void => {
    sqsRequests += n;
    lastQueueActivity = now;
  };
  /** The idle time the runtime's rule asks for now (core/idle-release.ts): early on sparse arrivals, else the full period. */
  const releaseAfter = (inst: Instance): number => {
    const full = w.releaseIdleAfterSeconds!;
    const early = w.releaseEarlyAfterSeconds;
    return early !== undefined && early < full && inst.earlyAttempts < EARLY_ATTEMPTS && inst.spacing.isSparserThan(full) ? early : full;
  };
  const markIdle = (inst: Instance): void => {
    if (inst.state === 'inService' && inst.jobs.size === 0 && inst.idleSince === undefined) {
      inst.idleSince = now;
      if (w.releaseIdleAfterSeconds !== undefined) {
        events.push(now + releaseAfter(inst), { kind: 'release-check', instance: inst, idleSince: now });
      }
    }
  };
  const endIdle = (inst: Instance): void => {
    if (inst.idleSince !== undefined) {
      idleStretches.push(now - inst.idleSince);
      inst.idleSince = undefined;
    }
  };

  const launch = (): void => {
    const inst: Instance = {
      id: instances.length,
      launchedAt: now,
      state: 'pending',
      draining: false,
      jobs: new Set(),
      polling: false,
      pollToken: 0,
      lastJobEndAt: -Infinity,
      spacing: new ArrivalSpacing(),
      earlyAttempts: 0,
    };
    instances.push(inst);
    events.push(now + config.bootSeconds, { kind: 'boot', instance: inst });
    if (config.spotInterruptionsPerInstanceHour > 0) {
      events.push(now + spotRng.exponential(3600 / config.spotInterruptionsPerInstanceHour), { kind: 'spot-notice', instance: inst });
    }
  };

  const hide = (m: Message, until: number): void => {
    m.state = 'inflight';
    events.push(until, { kind: 'visible', message: m, receivesAtHide: m.receives });
  };

  const terminate = (inst: Instance): void => {
    if (inst.state === 'terminated') return;
    endIdle(inst);
    for (const job of inst.jobs) {
      job.cancelled = true;
      // Our runtime releases what it cannot finish (visibility 0); the sample's message waits out its timeout.
      if (w.drainsOnSpotNotice) {
        job.message.state = 'queued';
        job.message.visibleAt = now;
        ready.push(job.message);
      }
      // Otherwise the pending 'visible' event returns it when the visibility timeout expires.
    }
    inst.jobs.clear();
    inst.state = 'terminated';
    inst.terminatedAt = now;
    const wi = waiting.indexOf(inst);
    if (wi >= 0) waiting.splice(wi, 1);
  };

  const isProtected = (inst: Instance): boolean =>
    w.protectsBusyInstances && (inst.jobs.size > 0 || now - inst.lastJobEndAt < config.idleGraceSeconds);

  /** The group converges on the desired capacity: launch, or terminate unprotected instances (pending first, then idle). */
  const reconcile = (): void => {
    desired = Math.max(fleet.minCapacity, Math.min(fleet.maxCapacity, desired));
    // Instances draining after a Spot notice are on their way out; the group replaces them.
    const counted = alive().filter((i) => !i.draining);
    for (let n = counted.length; n < desired; n++) launch();
    let excess = counted.length - desired;
    if (excess <= 0) return;
    const order = [...counted].sort((a, b) => rank(a) - rank(b) || a.id - b.id);
    for (const inst of order) {
      if (excess <= 0) break;
      if (isProtected(inst)) continue;
      terminate(inst);
      excess--;
    }
  };
  const rank = (i: Instance): number => (i.state === 'pending' ? 0 : i.jobs.size === 0 ? 1 : 2);

  const startJob = (inst: Instance, m: Message): void => {
    m.receives++;
    endIdle(inst);
    inst.earlyAttempts = 0;
    // SQS's SentTimestamp of a first delivery (seconds here; the rule only compares spans).
    if (m.receives === 1) inst.spacing.record(m.arrival);
    const service = rng.logNormal(w.serviceSecondsMean, config.serviceCv);
    const job: Job = { message: m, instance: inst, finishAt: now + service, fails: rng.next() < config.transientFailureRate, cancelled: false };
    inst.jobs.add(job);
    hide(m, now + config.visibilityTimeoutSeconds + (w.protectsBusyInstances ? service : 0));
    events.push(job.finishAt, { kind: 'finish', job });
  };

  const freeSlots = (inst: Instance): number => w.concurrency - inst.jobs.size;

  /** One receive call: takes up to the free slots' worth of visible messages (≤ 10). */
  const receive = (inst: Instance): boolean => {
    const take = Math.min(freeSlots(inst), 10, visibleCount());
    if (take <= 0) return false;
    sqsCall();
    // Our worker sets scale-in protection when it goes from idle to busy.
    if (w.protectsBusyInstances && inst.jobs.size === 0 && now - inst.lastJobEndAt >= config.idleGraceSeconds) autoscalingCalls += 2;
    for (let k = 0; k < take; k++) startJob(inst, ready[readyHead++]);
    return true;
  };

  /** The worker loop of an instance with free slots: receive now, or wait (long poll) / sleep and retry. */
  const poll = (inst: Instance): void => {
    if (inst.state !== 'inService' || inst.draining || freeSlots(inst) <= 0 || inst.polling) return;
    if (receive(inst)) {
      if (freeSlots(inst) > 0) poll(inst);
      return;
    }
    inst.polling = true;
    const token = ++inst.pollToken;
    if (w.longPollSeconds > 0) waiting.push(inst);
    events.push(now + w.longPollSeconds + w.sleepAfterEmptySeconds, { kind: 'poll', instance: inst, token });
  };

  /** A message became visible: a long poll in progress returns it at once. */
  const offer = (): void => {
    while (waiting.length > 0 && visibleCount() > 0) {
      const inst = waiting.shift()!;
      inst.polling = false;
      inst.pollToken++;
      if (inst.state === 'inService' && !inst.draining) poll(inst);
    }
  };

  /** Instances launched or in service for less than the warm-up: they block scale-in. */
  const warming = (): boolean => alive().some((i) => i.state === 'pending' || now < i.inServiceAt! + fleet.warmupSeconds);

  const noteDesired = (): void => {
    if (firstDesiredAt === undefined && desired >= 1 && trace.arrivals.length > 0 && now >= trace.arrivals[0]) firstDesiredAt = now;
  };

  events.push(60, { kind: 'minute', minute: 0 });
  events.push(61, { kind: 'evaluate' });
  reconcile();

  while (events.size > 0 && events.peekTime()! <= trace.horizonSeconds) {
    const { time, item: ev } = events.pop()!;
    now = time;
    switch (ev.kind) {
      case 'arrival':
        if (config.inactiveQueue && now - lastQueueActivity >= config.inactiveQueue.afterSeconds) {
          sqsDelayedUntil = now + config.inactiveQueue.metricDelaySeconds;
        }
        lastQueueActivity = now;
        ready.push(ev.message);
        noteDesired();
        if (fleet.wake) events.push(now + fleet.wake.delaySeconds, { kind: 'wake' });
        offer();
        break;
      case 'wake': {
        // The wake function: one Describe per quiet interval; a Set only when the group is at zero.
        if (now - lastWakeCheck < fleet.wake!.quietSeconds) break;
        lastWakeCheck = now;
        autoscalingCalls++;
        if (desired === 0 && fleet.maxCapacity >= 1) {
          autoscalingCalls++;
          desired = 1;
          reconcile();
          noteDesired();
        }
        break;
      }
      case 'release-check': {
        // The worker releases its instance: idle since then, nothing received meanwhile, and above the minimum.
        const inst = ev.instance;
        if (inst.state !== 'inService' || inst.draining || inst.idleSince !== ev.idleSince || inst.jobs.size > 0) break;
        // As core/idle-release.ts: it reads the queue's depth first (one GetQueueAttributes); a message visible or in
        // flight anywhere, or a group at its minimum (the call is refused), keeps it for another idle period.
        sqsRequests++;
        if (visibleCount() > 0 || messages.some((m) => m.state === 'inflight') || desired <= fleet.minCapacity) {
          const early = releaseAfter(inst) < w.releaseIdleAfterSeconds!;
          if (desired <= fleet.minCapacity) {
            autoscalingCalls++;
            if (early) inst.earlyAttempts = EARLY_ATTEMPTS; // a refused leave: only the full period from now on
          } else if (early) {
            inst.earlyAttempts++;
          }
          events.push(now + releaseAfter(inst), { kind: 'release-check', instance: inst, idleSince: ev.idleSince });
          break;
        }
        autoscalingCalls += 2; // TerminateInstanceInAutoScalingGroup (decrement) + CompleteLifecycleAction
        desired--;
        terminate(inst);
        break;
      }
      case 'visible': {
        const m = ev.message;
        // Stale: the message was finished, released, or received again since it was hidden.
        if (m.state !== 'inflight' || m.receives !== ev.receivesAtHide) break;
        const job = [...instances].flatMap((i) => [...i.jobs]).find((j) => j.message === m);
        if (job) break; // still being worked on with its visibility extended (our runtime)
        m.state = 'queued';
        ready.push(m);
        offer();
        break;
      }
      case 'boot':
        if (ev.instance.state !== 'pending') break;
        ev.instance.state = 'inService';
        ev.instance.inServiceAt = now;
        if (firstInstanceAt === undefined) firstInstanceAt = now;
        markIdle(ev.instance);
        poll(ev.instance);
        break;
      case 'poll': {
        const inst = ev.instance;
        if (ev.token !== inst.pollToken || inst.state !== 'inService') break;
        const wi = waiting.indexOf(inst);
        if (wi >= 0) waiting.splice(wi, 1);
        inst.polling = false;
        sqsCall();
        emptyReceives++;
        poll(inst);
        break;
      }
      case 'finish': {
        const job = ev.job;
        if (job.cancelled) break;
        const inst = job.instance;
        inst.jobs.delete(job);
        inst.lastJobEndAt = now;
        const m = job.message;
        if (!job.fails) {
          m.state = 'done';
          sqsCall(w.sqsRequestsPerImage);
          latencies.push(now - m.arrival);
        } else if (w.deletesOnFailure) {
          m.state = 'lost';
          sqsCall(w.sqsRequestsPerImage);
          lost++;
        } else if (m.receives >= config.maxReceiveCount) {
          m.state = 'dlq';
          sqsCall(2); // send to the DLQ with the reason, then delete
          deadLettered++;
        } else {
          // Retried: our runtime releases the message for a prompt retry.
          m.state = 'queued';
          sqsCall();
          ready.push(m);
          offer();
        }
        markIdle(inst);
        if (inst.draining && inst.jobs.size === 0) {
          terminate(inst);
          reconcile();
        } else {
          poll(inst);
        }
        break;
      }
      case 'minute': {
        const m = ev.minute;
        const ins = inService().length;
        // An inactive queue publishes nothing; one just activated publishes late (up to the documented delay).
        const inactive = config.inactiveQueue !== undefined && now - lastQueueActivity >= config.inactiveQueue.afterSeconds;
        if (!inactive) {
          const late = sqsDelayedUntil > now ? sqsDelayedUntil : undefined;
          metrics.put('ApproximateNumberOfMessagesVisible', m, visibleCount(), late);
          metrics.put('ApproximateNumberOfMessagesNotVisible', m, messages.filter((x) => x.state === 'inflight').length, late);
        }
        metrics.put('GroupInServiceInstances', m, ins);
        metrics.put('GroupDesiredCapacity', m, desired);
        timeline.push({ minute: m, visible: visibleCount(), inService: ins, desired });
        events.push(now + 60, { kind: 'minute', minute: m + 1 });
        break;
      }
      case 'evaluate':
        {
          const evaluation = evaluatePolicies(fleet, policyMemory, { desired, warming: warming() }, metrics, now);
          policyMemory = evaluation.memory;
          desired = evaluation.desired;
        }
        reconcile();
        noteDesired();
        events.push(now + 60, { kind: 'evaluate' });
        break;
      case 'spot-notice': {
        const inst = ev.instance;
        if (inst.state === 'terminated') break;
        spotInterruptions++;
        events.push(now + config.spotNoticeSeconds, { kind: 'spot-terminate', instance: inst });
        if (w.drainsOnSpotNotice) {
          inst.draining = true;
          inst.pollToken++;
          inst.polling = false;
          const wi = waiting.indexOf(inst);
          if (wi >= 0) waiting.splice(wi, 1);
          if (inst.jobs.size === 0) terminate(inst);
          reconcile(); // the group launches the replacement now
        }
        break;
      }
      case 'spot-terminate':
        terminate(ev.instance);
        reconcile();
        break;
    }
    // Compact the ready queue now and then.
    if (readyHead > 4096) {
      ready.splice(0, readyHead);
      readyHead = 0;
    }
  }

  now = trace.horizonSeconds;
  let instanceSeconds = 0;
  for (const i of instances) {
    endIdle(i);
    instanceSeconds += (i.terminatedAt ?? now) - i.launchedAt;
  }
  const idleSeconds = idleStretches.reduce((a, b) => a + b, 0);
  const delay = scaleInDelaySeconds(fleet, config);
  const beyond = idleStretches.reduce((a, s) => a + Math.max(0, s - delay), 0);
  latencies.sort((a, b) => a - b);
  const q = (p: number): number => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.ceil(p * latencies.length) - 1)] : NaN);
  const firstArrival = trace.arrivals[0];
  return {
    policy: fleet.name,
    trace: trace.name,
    images: messages.length,
    completed: latencies.length,
    instanceHours: instanceSeconds / 3600,
    idleInstanceHours: idleSeconds / 3600,
    idleBeyondScaleInHours: beyond / 3600,
    scaleInDelaySeconds: delay,
    p50Seconds: q(0.5),
    p95Seconds: q(0.95),
    lost,
    deadLettered,
    unfinished: messages.filter((m) => m.state === 'queued' || m.state === 'inflight').length,
    sqsRequests,
    emptyReceives,
    autoscalingCalls,
    wakeSeconds: firstArrival === undefined || firstDesiredAt === undefined ? undefined : firstDesiredAt - firstArrival,
    spotInterruptions,
    maxInService: Math.max(0, ...timeline.map((t) => t.inService)),
    firstInstanceSeconds: firstArrival === undefined || firstInstanceAt === undefined ? undefined : Math.max(0, firstInstanceAt - firstArrival),
    endsAtZero: alive().length === 0,
    timeline,
  };
}
