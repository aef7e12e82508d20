/**
 * The runtime's CloudWatch metrics: namespace, names, units and dimensions. The runtime publishes
 * them (core/worker.ts, adapters/aws/cloudwatch-metrics-sink.ts); the construct graphs and alarms on
 * them (src/fleet-metrics.ts) and grants `cloudwatch:PutMetricData` for the namespace.
 *
 * No imports (see runtime-env.ts).
 */

/** The namespace unless `metricsNamespace` / `SPOT_WORKER_METRICS_NAMESPACE` says otherwise. */
export const DEFAULT_METRICS_NAMESPACE = 'SpotWorkerFleet';

/** Dimension on every runtime metric: the fleet's name (`SPOT_WORKER_FLEET_NAME`). */
export const FLEET_DIMENSION = 'Fleet';

/** Extra dimension of `JobFailures`: the failure kind (failure-kinds.ts). */
export const KIND_DIMENSION = 'Kind';

/** The metric names. */
export const Metrics = {
  IMAGES_PROCESSED: 'ImagesProcessed',
  JOB_FAILURES: 'JobFailures',
  PROCESSING_TIME: 'ProcessingTime',
  BUSY_TIME: 'BusyTime',
  INSTANCES_MARKED_UNHEALTHY: 'InstancesMarkedUnhealthy',
} as const;

export type RuntimeMetricName = typeof Metrics[keyof typeof Metrics];

/** What each metric is, for docs/architecture.md. */
export const RUNTIME_METRICS: ReadonlyArray<{ readonly name: RuntimeMetricName; readonly unit: string; readonly meaning: string }> = [
  { name: Metrics.IMAGES_PROCESSED, unit: 'Count', meaning: 'objects converted and written' },
  { name: Metrics.JOB_FAILURES, unit: 'Count', meaning: `failed jobs, with an extra \`${KIND_DIMENSION}\` dimension (the failure kind)` },
  { name: Metrics.PROCESSING_TIME, unit: 'Milliseconds', meaning: 'per job, fetch to write' },
  { name: Metrics.BUSY_TIME, unit: 'Seconds', meaning: 'time with at least one job in flight; utilisation = BusyTime ÷ (instances × period)' },
  { name: Metrics.INSTANCES_MARKED_UNHEALTHY, unit: 'Count', meaning: 'a worker that could not start (rejected configuration, or too many starts in the window) marked its instance unhealthy; the group replaces it' },
];
