/**
 * `cdk-spot-worker-fleet-runtime/deploy`: what a custom deployment needs to run the Worker
 * itself: the Worker (its options, events, stats), its ports, the environment loader, the AWS
 * adapters and the logger. Handler authors need only the package's main entry (index.ts).
 */
export * from './core/ports';
export { Worker } from './core/worker';
export type { WorkerOptions, WorkerStats } from './core/worker';
export type { WorkerEvents, WorkerEventName, MessageRef, DeliveryRef } from './core/worker-events';
export type { RecordResult } from './core/job';
export type { BackoffOptions } from './core/backoff';
export { ConfigError } from './core/errors';
export { loadRunConfig } from './core/config';
export type { RunConfig, HandlerKind, MetricsMode } from './core/config';
export { createAwsAdapters } from './adapters/aws/aws-adapters';
export type { AwsAdapters, AwsAdapterOptions } from './adapters/aws/aws-adapters';
export { createJsonLogger, silentLogger } from './core/logger';
export type { Logger, LogLevel, LogFields, JsonLoggerOptions } from './core/logger';
