/**
 * One local worker process: configured from its environment like `spot-worker run` on EC2
 * (`loadRunConfig`, `loadHandler`) and built by the same `buildWorker`, wired to the local
 * adapters (file queue, folder bucket, IPC interruptions, IPC metrics) with local mode's time
 * compression. Started by the fleet with `child_process.fork`; exits 0 once drained.
 */
import { readLocalWorkerConfig } from './worker-config';
import { FileQueue, QueueAction } from '../adapters/local/file-queue';
import { sendToParent } from '../adapters/local/ipc-messages';
import { LatencyObjectStore } from '../adapters/local/latency-object-store';
import { LocalBucket } from '../adapters/local/local-bucket';
import { LocalInstanceControl } from '../adapters/local/local-instance-control';
import { LocalInterruptionSource } from '../adapters/local/local-interruption-source';
import { LocalMetricsSink } from '../adapters/local/local-metrics-sink';
import { buildWorker } from '../core/build-worker';
import { loadRunConfig } from '../core/config';
import { createJsonLogger } from '../core/logger';
import { loadHandler } from '../handlers/load-handler';

export async function runWorkerProcess(): Promise<number> {
  const cfg = readLocalWorkerConfig();
  const counts: Partial<Record<QueueAction, number>> = {};
  const onRequest = (a: QueueAction): void => { counts[a] = (counts[a] ?? 0) + 1; };
  const reportRequests = (): void => {
    if (Object.keys(counts).length === 0) return;
    sendToParent({ type: 'requests', counts: { ...counts } });
    for (const k of Object.keys(counts) as QueueAction[]) delete counts[k];
  };
  const dlq = new FileQueue({ dir: cfg.deadLetterDir, onRequest });
  const queue = await new FileQueue({
    dir: cfg.queueDir,
    visibilityTimeoutSeconds: cfg.visibilityTimeoutSeconds,
    maxReceiveCount: cfg.maxReceiveCount,
    deadLetterQueue: dlq,
    onRequest,
  }).init();
  const bucket = await new LocalBucket({ name: cfg.bucketName, root: cfg.bucketRoot, stateDir: cfg.bucketStateDir }).init();
  // `--storage-latency`: every GET and PUT waits as if it went to S3, so the worker's slots must overlap the waits.
  const store = cfg.storageLatencyMs > 0 ? new LatencyObjectStore(bucket, cfg.storageLatencyMs) : bucket;
  const config = loadRunConfig(process.env);
  const logger = createJsonLogger({ level: config.logLevel }).child({ worker: process.env.SPOT_WORKER_LOCAL_WORKER_ID, pid: process.pid });
  const worker = buildWorker(config, {
    queue,
    store,
    handler: loadHandler(config),
    logger,
    instance: new LocalInstanceControl(),
    interruptions: new LocalInterruptionSource(),
    metrics: new LocalMetricsSink(),
  }, cfg.timeScale);
  worker.on('message_released', () => sendToParent({ type: 'released' }));
  const requestsTimer = setInterval(reportRequests, 500);
  requestsTimer.unref();
  await worker.start();
  sendToParent({ type: 'started' });
  await worker.stopped;
  clearInterval(requestsTimer);
  reportRequests();
  sendToParent({ type: 'drained' });
  return 0;
}

if (require.main === module) {
  runWorkerProcess().then(
    (code) => {
      process.exitCode = code;
      // Leave once the IPC messages are out; nothing else should keep the process alive.
      if (process.connected) process.disconnect();
    },
    (err) => {
      process.stderr.write(`local worker failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
