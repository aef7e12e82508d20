/**
 * `spot-worker run`: the process on each instance. Builds the AWS adapters and the handler
 * from the environment (docs/architecture.md), runs the Worker until a drain (interruption
 * notice, lifecycle `Terminated`, SIGTERM/SIGINT) completes, and exits 0.
 */
import { createAwsAdapters } from '../adapters/aws/aws-adapters';
import { loadRunConfig, RunConfig } from '../core/config';
import { ConfigError } from '../core/errors';
import { createJsonLogger } from '../core/logger';
import { Worker } from '../core/worker';
import { loadHandler } from '../handlers/load-handler';

export const usage = '  spot-worker run                          process the work queue (configured by SPOT_WORKER_* variables, see docs/runtime.md) until drained';

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`usage:\n${usage}\n`);
    return 0;
  }
  if (argv.length > 0) {
    process.stderr.write(`spot-worker run: unexpected argument '${argv[0]}' (configuration comes from environment variables)\n`);
    return 2;
  }
  let config: RunConfig;
  let handler;
  try {
    config = loadRunConfig(process.env);
    handler = loadHandler(config);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`spot-worker run: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const logger = createJsonLogger({ level: config.logLevel, fields: { component: 'spot-worker' } });
  let adapters;
  try {
    adapters = await createAwsAdapters(config, logger);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`spot-worker run: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const worker = new Worker({
    queue: adapters.queue,
    store: adapters.store,
    handler,
    inputPrefix: config.inputPrefix,
    outputPrefix: config.outputPrefix,
    outputBucket: config.outputBucket,
    concurrency: config.concurrency,
    prefetch: config.prefetch,
    waitTimeSeconds: config.receiveWaitSeconds,
    idleGraceSeconds: config.idleGraceSeconds,
    instance: adapters.instance,
    lifecycleAction: adapters.lifecycleAction,
    lifecycleHeartbeatSeconds: config.lifecycleHeartbeatIntervalSeconds,
    interruptions: adapters.interruptions,
    metrics: adapters.metrics,
    logger,
    backoff: { baseSeconds: config.retryBaseSeconds, maxSeconds: config.retryMaxSeconds },
    drainTimeoutSeconds: config.drainTimeoutSeconds,
    maxInputBytes: config.maxImageBytes,
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
