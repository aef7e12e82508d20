/**
 * `spot-worker run`: the process on each instance. Builds the AWS adapters and the handler
 * from the environment (docs/architecture.md), runs the Worker until a drain (interruption
 * notice, lifecycle `Terminated`, SIGTERM/SIGINT) completes, and exits 0.
 *
 * Around the Worker it keeps the instance in service only while a worker works
 * (docs/runtime.md, "Starting"): every start is counted in the start ledger; a configuration the
 * runtime rejects, or too many starts in the window, marks the instance unhealthy; once ready the
 * launching hook is completed; a drain after a rebalance recommendation ends by leaving the group.
 */
import { CommandError, CommandSpec } from './args';
import { createAwsAdapters, createGiveUpParts, LogShipping, startLogShipping } from '../adapters/aws/aws-adapters';
import { RuntimeEnvValues, readRuntimeEnv } from '../contract/runtime-env';
import { buildWorker } from '../core/build-worker';
import { loadRunConfig, RunConfig } from '../core/config';
import { ConfigError } from '../core/errors';
import type { Handler } from '../core/handler';
import { completeLaunch, GiveUpReason, giveUpOnInstance } from '../core/instance-health';
import { drainEndsByLeaving, leaveGroupAfterDrain } from '../core/leave-after-drain';
import { createJsonLogger, Logger } from '../core/logger';
import type { InterruptionKind } from '../core/ports';
import { ledgerDirectory, markedUnhealthyWithin, recordStart, rememberMarkedUnhealthy } from '../core/start-ledger';
import { loadHandler } from '../handlers/load-handler';

export const spec: CommandSpec<{}> = {
  name: 'run',
  summary: 'process the work queue until drained (the instance process; configured by SPOT_WORKER_* variables, docs/runtime.md)',
  options: {},
};

/** Counts this start in the ledger; undefined when there is none or it cannot be kept (the worker starts anyway). */
function countStart(directory: string | undefined, values: RuntimeEnvValues, logger: Logger): number | undefined {
  if (!directory) {
    logger.debug('starts not counted: no state directory (not run by the systemd unit, SPOT_WORKER_STATE_DIRECTORY unset)');
    return undefined;
  }
  try {
    const { count, file } = recordStart(directory, values.SPOT_WORKER_START_WINDOW_SECONDS);
    logger.info('start counted', { starts: count, startLimit: values.SPOT_WORKER_START_LIMIT, windowSeconds: values.SPOT_WORKER_START_WINDOW_SECONDS, ledger: file });
    return count;
  } catch (err) {
    logger.warn('start ledger unavailable: starts are not counted (set SPOT_WORKER_STATE_DIRECTORY to a writable directory)', {
      directory, error: (err as Error).message,
    });
    return undefined;
  }
}

/** Reports the instance unhealthy once per window (later restarts only say so). */
async function giveUp(
  directory: string | undefined, values: RuntimeEnvValues, logger: Logger, reason: GiveUpReason, fields: Record<string, unknown>,
): Promise<void> {
  if (directory && markedUnhealthyWithin(directory, values.SPOT_WORKER_START_WINDOW_SECONDS)) {
    logger.error('instance already marked unhealthy; waiting for the group to replace it', { reason, ...fields });
    return;
  }
  const parts = await createGiveUpParts(values, logger);
  if (!parts) {
    logger.error('cannot start, and no group to tell (SPOT_WORKER_ASG_NAME or the instance id unknown)', { reason, ...fields });
    return;
  }
  try {
    if (await giveUpOnInstance(parts, reason, fields)) {
      try {
        if (directory) rememberMarkedUnhealthy(directory);
      } catch { /* the next start reports again: harmless */ }
    }
  } finally {
    parts.close();
  }
}

/** How long the last log lines may take to reach CloudWatch Logs at exit. */
const LOG_CLOSE_TIMEOUT_MS = 10_000;

export async function run(): Promise<number> {
  const { values } = readRuntimeEnv(process.env);
  // Started first, so that the lines saying why a worker cannot start outlive the instance too.
  const shipping = await startLogShipping(values);
  // Before the configuration is known good: its level (or the default, if that value is wrong).
  const logger = createJsonLogger({
    level: values.SPOT_WORKER_LOG_LEVEL,
    fields: { component: 'spot-worker' },
    write: (line) => { process.stdout.write(line); shipping?.write(line); },
  });
  if (shipping) logger.info('shipping log lines', { logGroup: shipping.group, logStream: shipping.stream });
  try {
    return await runLogged(values, logger, shipping);
  } catch (err) {
    // main.ts prints it to stderr (the journal); the shipped log gets it as a line.
    if (shipping) logger.error('spot-worker run failed', { error: (err as Error).message });
    throw err;
  } finally {
    if (shipping && !await shipping.close(LOG_CLOSE_TIMEOUT_MS)) {
      process.stdout.write(JSON.stringify({ time: new Date().toISOString(), level: 'warn', msg: 'log lines left unsent at exit', component: 'log-shipper' }) + '\n');
    }
  }
}

async function runLogged(values: RuntimeEnvValues, logger: Logger, shipping: LogShipping | undefined): Promise<number> {
  const stateDirectory = ledgerDirectory(values.SPOT_WORKER_STATE_DIRECTORY, process.env);
  const starts = countStart(stateDirectory, values, logger);
  let config: RunConfig;
  let handler: Handler;
  try {
    config = loadRunConfig(process.env);
    handler = loadHandler(config);
  } catch (err) {
    // A rejected configuration does not get better by restarting: give the instance up at once.
    // The ConfigError still exits 2 with its message (main.ts).
    if (err instanceof ConfigError) await giveUp(stateDirectory, values, logger, 'configuration-rejected', { error: err.message });
    throw err;
  }
  if (starts !== undefined && starts >= config.startLimit) {
    await giveUp(stateDirectory, values, logger, 'start-limit', { starts, startLimit: config.startLimit, windowSeconds: config.startWindowSeconds });
    throw new CommandError(`started ${starts} times within ${config.startWindowSeconds} s (SPOT_WORKER_START_LIMIT=${config.startLimit}): `
      + 'the instance was marked unhealthy for its group to replace; see the earlier runs\' logs for why they ended');
  }
  // What the adapters cannot find at start (e.g. the instance id from a metadata service that is not
  // up yet) may resolve itself: exit 1, so systemd starts the worker again (the ledger counts it).
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
  const notices: InterruptionKind[] = [];
  let leftGroup = false;
  worker.on('left_group', () => { leftGroup = true; });
  worker.on('draining', (n) => {
    notices.push(n.kind);
    // The instance may be gone at the deadline: what was logged so far goes out now.
    if (n.first) void shipping?.flush();
  });
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info('signal received; draining', { signal });
    void worker.drain({ kind: 'sigterm' });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const stopLaunch = new AbortController();
  try {
    await worker.start();
    // Ready: the receive loop runs. Not awaited: jobs never wait for the group.
    const launched = adapters.launchHook && adapters.instance
      ? completeLaunch(adapters.instance, adapters.launchHook, logger, { signal: stopLaunch.signal })
      : Promise.resolve(false);
    await worker.stopped;
    stopLaunch.abort();
    await launched;
    if (adapters.instance && drainEndsByLeaving(notices, leftGroup)) {
      return await leaveGroupAfterDrain({
        instance: adapters.instance,
        lifecycleAction: adapters.lifecycleAction,
        waitForTerminated: adapters.waitForTerminated,
        timeoutMs: config.lifecycleHeartbeatTimeoutSeconds * 1000,
        logger,
      });
    }
  } finally {
    stopLaunch.abort();
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    adapters.close();
  }
  return 0;
}
