export { QueueDrivenSpotWorkerFleet } from './queue-driven-spot-worker-fleet';
export { QueueDrivenSpotWorkerFleetProps } from './fleet-props';
export { WorkerHandler, WorkerHandlerConfig, ModuleHandlerOptions, CommandHandlerOptions } from './worker-handler';
export { BacklogScaling, BacklogScalingProps } from './backlog-scaling';
export { SourceConditionedQueueDestination } from './queue-notification';
