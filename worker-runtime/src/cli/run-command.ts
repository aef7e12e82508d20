/**
 * `spot-worker run`: the process on each instance. Builds the AWS adapters and the handler
 * from the environment (docs/architecture.md), runs the Worker until a drain (interruption
 * notice, lifecycle `Terminated`, SIGTERM/SIGINT) completes, and exits 0.
 */
import { CommandError, CommandSpec } from './args';
import { createAwsAdapters } from '../adapters/aws/aws-adapters';
import { buildWorker } from '../core/build-worker';
import { loadRunConfig } from '../core/config';
import { ConfigError } from '../core/errors';
import { createJsonLogger } from '../core/logger';
import { loadHandler } from '../handlers/load-handler';

export const spec: CommandSpec<{}> = {
  name: 'run',
  summary: 'process the work queue until drained (the instance process; configured by SPOT_WORKER_* variables, docs/runtime.md)',
  options: {},
};

export async function run(): Promise<number> {
  // A ConfigError here is a wrong environment (exit 2, systemd does not help); main.ts says so.
  const config = loadRunConfig(process.env);
  const handler = loadHandler(config);
  const logger = createJsonLogger({ level: config.logLevel, fields: { component: 'spot-worker' } });
  // What the adapters cannot find at start (e.g. the instance id from a metadata service that is not
  // up yet) may resolve itself: exit 1, so systemd starts the worker again.
  const adapters = await createAwsAdapters(config, logger).catch((err: unknown) => {
    throw err instanceof ConfigError ? new CommandError(err.message) : err;
  });
  const worker = buildWorker(config, {
    queue: adapters.queue,
    store: adapters.store,
    handler,
    logger,
    instance: adapters.instance,
    lifecycleAction: adapters.lifecycleAction,
    interruptions: adapters.interruptions,
    metrics: adapters.metrics,
  });
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info('signal received; draining', { signal });
    void worker.drain({ kind: 'sigterm' });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    await worker.start();
    await worker.stopped;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    adapters.close();
  }
  return 0;
}
