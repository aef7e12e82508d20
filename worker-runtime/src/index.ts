/**
 * Public API of cdk-spot-worker-fleet-runtime: the Worker and its ports (for local mode and
 * custom deployments), the AWS adapters, and the handler contract.
 */
export * from './core/ports';
export * from './core/errors';
export { Worker } from './core/worker';
export type { WorkerOptions, WorkerStats } from './core/worker';
export type { WorkerEvents, WorkerEventName } from './core/worker-events';
export type { JobOutcome, RecordResult } from './core/job';
export { loadRunConfig } from './core/config';
export type { RunConfig, HandlerKind, MetricsMode } from './core/config';
export { createJsonLogger, silentLogger } from './core/logger';
export type { Logger, LogLevel, LogFields } from './core/logger';
export { Metrics, MetricAggregator, NoopMetricsSink, MemoryMetricsSink, LogMetricsSink } from './core/metrics';
export type { MetricDatum } from './core/metrics';
export { parseS3Event, decodeS3Key } from './core/s3-event';
export type { ObjectCreatedRecord, ParsedEvent } from './core/s3-event';
export { KeyMapper } from './core/key-mapping';
export type { KeyMappingOptions, KeyDecision } from './core/key-mapping';
export { backoffSeconds, MAX_VISIBILITY_SECONDS } from './core/backoff';
export type { BackoffOptions } from './core/backoff';
export { createAwsAdapters } from './adapters/aws/aws-adapters';
export type { AwsAdapters, AwsAdapterOptions } from './adapters/aws/aws-adapters';
export { createAwsClients } from './adapters/aws/aws-clients';
export type { AwsClients } from './adapters/aws/aws-clients';
export { SqsWorkQueue } from './adapters/aws/sqs-work-queue';
export { S3ObjectStore } from './adapters/aws/s3-object-store';
export { AutoScalingInstanceControl } from './adapters/aws/auto-scaling-instance-control';
export { CloudWatchMetricsSink } from './adapters/aws/cloudwatch-metrics-sink';
export * from './handlers/handler';
export { loadHandler } from './handlers/load-handler';
export { loadModuleHandler } from './handlers/module-handler';
export { createCommandHandler, PERMANENT_EXIT_CODE } from './handlers/command-handler';
export type { CommandHandlerOptions } from './handlers/command-handler';
