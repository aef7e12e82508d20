/**
 * The three reference policies, built from their documented defaults (facts, cited in
 * docs/benchmarks.md), and the two worker behaviours. Ours is read from the synthesized template
 * (template-policy.ts), never typed here.
 */
import { FleetPolicy, MetricQuery, WorkerBehaviour } from './policy';
import { DEFAULT_WARMUP_SECONDS } from '../../src/contract/scaling-plan';
import { DEFAULT_MAX_CONCURRENCY } from '../../worker-runtime/src/core/adaptive-concurrency';
import { EARLY_RELEASE_SECONDS } from '../../worker-runtime/src/core/idle-release';

export interface ServiceTimes {
  /** Mean seconds per image on one slot of our runtime (S3 get + convert + S3 put + delete). */
  readonly oursSeconds: number;
  /** Of that, the handler's CPU seconds (the rest waits for storage). */
  readonly oursCpuSeconds: number;
  /** Mean seconds per image of the sample's loop (ImageMagick + the AWS CLI calls around it). */
  readonly sampleSeconds: number;
}

/**
 * The job slots our runtime's adaptive concurrency settles on (worker-runtime/src/core/adaptive-concurrency.ts):
 * it adds slots while the one event loop has room, so it stops where the loop would be busy about
 * `highUtilisation` of the time (each job holds the loop for its CPU time only), or at its maximum.
 */
export function adaptiveSlots(service: ServiceTimes, maxSlots = DEFAULT_MAX_CONCURRENCY, highUtilisation = 0.97): number {
  return Math.max(1, Math.min(maxSlots, Math.floor((highUtilisation * service.oursSeconds) / service.oursCpuSeconds)));
}

/**
 * Our runtime: `slots` jobs at once (one per vCPU in the earlier design, adaptive now), 20 s long
 * polls, batched deletes, busy instances protected; optionally it releases its own idle instance.
 */
export function ourWorker(service: ServiceTimes, slots = 2, releaseIdleAfterSeconds?: number, releaseEarly = false): WorkerBehaviour {
  const early = releaseIdleAfterSeconds !== undefined && releaseEarly;
  const release = releaseIdleAfterSeconds === undefined ? ''
    : `, releases its instance after ${releaseIdleAfterSeconds} s idle${early ? ` (after ${EARLY_RELEASE_SECONDS} s when its messages came further apart)` : ''}`;
  return {
    name: `spot-worker runtime, ${slots} slots${release}`,
    concurrency: slots,
    serviceSecondsMean: service.oursSeconds,
    longPollSeconds: 20,
    sleepAfterEmptySeconds: 0,
    // One DeleteMessageBatch per up to 10 images; the receive is counted separately.
    sqsRequestsPerImage: 0.1,
    deletesOnFailure: false,
    protectsBusyInstances: true,
    drainsOnSpotNotice: true,
    releaseIdleAfterSeconds,
    releaseEarlyAfterSeconds: early ? EARLY_RELEASE_SECONDS : undefined,
  };
}

/** The public sample's bash loop: one image at a time, receive without long polling, sleep 5 s when empty, delete even on failure. */
export function sampleWorker(service: ServiceTimes): WorkerBehaviour {
  return {
    name: 'sample bash loop',
    concurrency: 1,
    serviceSecondsMean: service.sampleSeconds,
    longPollSeconds: 0,
    sleepAfterEmptySeconds: 5,
    sqsRequestsPerImage: 1,
    deletesOnFailure: true,
    protectsBusyInstances: false,
    drainsOnSpotNotice: false,
  };
}


const visible = (statistic: 'Average' | 'Maximum', periodSeconds: number): MetricQuery => ({
  metrics: { m1: { metric: 'ApproximateNumberOfMessagesVisible', statistic, periodSeconds } },
});

/** The sample: target tracking keeps ApproximateNumberOfMessagesVisible at 2; the group never goes below one instance. */
export function samplePolicy(service: ServiceTimes, maxCapacity: number): FleetPolicy {
  return {
    name: 'sample',
    source: 'the public sample: target tracking, ApproximateNumberOfMessagesVisible = 2, min 1; its bash loop',
    minCapacity: 1,
    maxCapacity,
    warmupSeconds: DEFAULT_WARMUP_SECONDS,
    policies: [{ kind: 'target-tracking', name: 'visible=2', query: visible('Average', 60), targetValue: 2, disableScaleIn: false }],
    worker: sampleWorker(service),
  };
}

/**
 * aws-ecs-patterns QueueProcessing defaults (aws-cdk-lib 2.258.0): step scaling on
 * ApproximateNumberOfMessagesVisible (statistic Maximum, the metric's default 5-minute period,
 * one evaluation period), intervals [{upper 0: −1}, {lower 100: +1}, {lower 500: +5}], cooldown 300 s,
 * min 1. Its default max (2) is replaced by the common max so policies, not caps, are compared.
 */
export function ecsPatternsPolicy(service: ServiceTimes, maxCapacity: number): FleetPolicy {
  return {
    name: 'ecs-patterns',
    source: 'aws-ecs-patterns QueueProcessing defaults: steps at 0/100/500 (−1/+1/+5), 5-min Maximum, cooldown 300 s, min 1',
    minCapacity: 1,
    maxCapacity,
    warmupSeconds: DEFAULT_WARMUP_SECONDS,
    policies: [
      {
        kind: 'step',
        name: 'lower',
        cooldownSeconds: 300,
        adjustmentType: 'ChangeInCapacity',
        alarm: { query: visible('Maximum', 300), comparison: 'LessThanOrEqualToThreshold', threshold: 0, evaluationPeriods: 1, datapointsToAlarm: 1 },
        steps: [{ upper: 0, adjustment: -1 }],
      },
      {
        kind: 'step',
        name: 'upper',
        cooldownSeconds: 300,
        adjustmentType: 'ChangeInCapacity',
        alarm: { query: visible('Maximum', 300), comparison: 'GreaterThanOrEqualToThreshold', threshold: 100, evaluationPeriods: 1, datapointsToAlarm: 1 },
        steps: [{ lower: 0, upper: 400, adjustment: 1 }, { lower: 400, adjustment: 5 }],
      },
    ],
    worker: ourWorker(service),
  };
}

/**
 * AWS's "scaling based on Amazon SQS" recipe: target tracking on backlog per instance
 * (ApproximateNumberOfMessagesVisible ÷ GroupInServiceInstances) with target = acceptable latency ÷
 * seconds per message per instance; min 1, as the recipe's target tracking cannot leave zero.
 */
export function backlogRecipePolicy(service: ServiceTimes, maxCapacity: number, acceptableLatencySeconds: number, concurrency = 2): FleetPolicy {
  const target = acceptableLatencySeconds / (service.oursSeconds / concurrency);
  return {
    name: 'backlog-recipe',
    source: `AWS backlog-per-instance recipe: target ${target.toFixed(0)} = ${acceptableLatencySeconds} s latency ÷ ${(service.oursSeconds / concurrency).toFixed(2)} s per message per instance, min 1`,
    minCapacity: 1,
    maxCapacity,
    warmupSeconds: DEFAULT_WARMUP_SECONDS,
    policies: [{
      kind: 'target-tracking',
      name: 'backlog-per-instance',
      targetValue: target,
      disableScaleIn: false,
      query: {
        metrics: {
          m1: { metric: 'ApproximateNumberOfMessagesVisible', statistic: 'Average', periodSeconds: 60 },
          m2: { metric: 'GroupInServiceInstances', statistic: 'Average', periodSeconds: 60 },
        },
        expression: 'm1 / m2',
      },
    }],
    worker: ourWorker(service, concurrency),
  };
}
