/**
 * Public API of cdk-spot-worker-fleet-runtime: what a handler author needs (the Handler
 * contract, failure classes, the default image → PDF handler) and what a custom deployment
 * needs (the Worker, its ports and events, the config loader and the AWS adapters). Everything
 * else is internal and may change without notice.
 */
// Handler authors.
export * from './core/handler';
export { PermanentError, InvalidInputError, ObjectGoneError, TransientError, MalformedEventError, ConfigError, isPermanent } from './core/errors';
export { imageToPdfHandler, IMAGE_TO_PDF_HANDLER_NAME, ImageInputError } from './handlers/image-to-pdf';
export type { ImageToPdfOptions, ImageFailureKind } from './handlers/image-to-pdf';
export { loadModuleHandler } from './handlers/module-handler';
export { createCommandHandler, PERMANENT_EXIT_CODE } from './handlers/command-handler';
export type { CommandHandlerOptions } from './handlers/command-handler';

// Custom deployments.
export * from './core/ports';
export { Worker } from './core/worker';
export type { WorkerOptions, WorkerStats } from './core/worker';
export type { WorkerEvents, WorkerEventName, MessageRef, DeliveryRef } from './core/worker-events';
export type { RecordResult } from './core/job';
export type { BackoffOptions } from './core/backoff';
export { loadRunConfig } from './core/config';
export type { RunConfig, HandlerKind, MetricsMode } from './core/config';
export { createJsonLogger, silentLogger } from './core/logger';
export type { Logger, LogLevel, LogFields, JsonLoggerOptions } from './core/logger';
export { createAwsAdapters } from './adapters/aws/aws-adapters';
export type { AwsAdapters, AwsAdapterOptions } from './adapters/aws/aws-adapters';
