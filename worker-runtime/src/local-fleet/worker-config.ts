/**
 * What a local worker process needs to know, passed from the fleet in its environment: the
 * same `SPOT_WORKER_*` variables `spot-worker run` reads (so a local worker is configured, and
 * its Worker built, exactly like one on EC2), plus the local adapters' settings and the time
 * compression in one JSON variable (`SPOT_WORKER_LOCAL_CONFIG`); and the folder layout of a local run.
 */
import * as path from 'path';

export const LOCAL_CONFIG_ENV = 'SPOT_WORKER_LOCAL_CONFIG';

/**
 * Local mode's queues are folders. The loader requires queue URLs, so these name them; nothing
 * connects to them (the worker process builds file queues, never SQS clients).
 */
export const LOCAL_QUEUE_URL = 'http://localhost/000000000000/spot-worker-local';
export const LOCAL_DLQ_URL = 'http://localhost/000000000000/spot-worker-local-dlq';

/** The local adapters' settings (what EC2 has in SQS, S3 and the ASG) and the time compression. */
export interface LocalWorkerConfig {
  readonly queueDir: string;
  readonly deadLetterDir: string;
  readonly bucketName: string;
  readonly bucketRoot: string;
  readonly bucketStateDir: string;
  readonly visibilityTimeoutSeconds: number;
  readonly maxReceiveCount: number;
  /** Local seconds per real second of the things the policy times (see docs/local-mode.md). */
  readonly timeScale: number;
  /** Round trip added to each storage request (S3's latency, simulated: `--storage-latency`), ms; 0: none. */
  readonly storageLatencyMs: number;
}

/** The run settings a local fleet gives its workers; everything else keeps `spot-worker run`'s defaults. */
export interface LocalRunSettings {
  readonly inputPrefix: string;
  readonly outputPrefix: string;
  /** Jobs in flight per worker process: fixed, or 'auto' (adaptive, `spot-worker run`'s default). */
  readonly concurrency: number | 'auto';
  /** Messages received ahead of a free slot. @default `spot-worker run`'s */
  readonly prefetch?: number;
  readonly validateDecode: boolean;
  /** A JS module exporting a Handler, instead of the default image → PDF handler. */
  readonly handlerModule?: string;
  /** Log level of the worker's JSON log (its file under `logs/`). */
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
}

/**
 * The environment of a local worker process: the parent's, without any `SPOT_WORKER_*` of the
 * user's shell (a local run must not pick up a deployment's settings), plus the run settings.
 */
export function localWorkerEnv(parent: NodeJS.ProcessEnv, settings: LocalRunSettings, local: LocalWorkerConfig): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(parent)) if (!k.startsWith('SPOT_WORKER_')) env[k] = v;
  return {
    ...env,
    SPOT_WORKER_QUEUE_URL: LOCAL_QUEUE_URL,
    SPOT_WORKER_DLQ_URL: LOCAL_DLQ_URL,
    SPOT_WORKER_INPUT_PREFIX: settings.inputPrefix,
    SPOT_WORKER_OUTPUT_PREFIX: settings.outputPrefix,
    ...(settings.concurrency !== 'auto' ? { SPOT_WORKER_CONCURRENCY: String(settings.concurrency) } : {}),
    ...(settings.prefetch !== undefined ? { SPOT_WORKER_PREFETCH: String(settings.prefetch) } : {}),
    SPOT_WORKER_HANDLER: settings.handlerModule ? 'module' : 'image-to-pdf',
    ...(settings.handlerModule ? { SPOT_WORKER_HANDLER_MODULE: settings.handlerModule } : {}),
    SPOT_WORKER_VALIDATE_DECODE: String(settings.validateDecode),
    SPOT_WORKER_LOG_LEVEL: settings.logLevel,
    // Metrics go to the fleet over IPC, interruptions come over IPC: no CloudWatch, no IMDS.
    SPOT_WORKER_METRICS: 'none',
    SPOT_WORKER_IMDS_POLL_SECONDS: '0',
    [LOCAL_CONFIG_ENV]: JSON.stringify(local),
  };
}

/** The folders of one local run under `--out`. */
export interface RunLayout {
  readonly out: string;
  readonly bucketRoot: string;
  readonly bucketStateDir: string;
  readonly queueDir: string;
  readonly deadLetterDir: string;
  readonly logDir: string;
}

export function runLayout(out: string): RunLayout {
  const root = path.resolve(out);
  return {
    out: root,
    bucketRoot: path.join(root, 'bucket'),
    bucketStateDir: path.join(root, 'state', 'bucket'),
    queueDir: path.join(root, 'state', 'queue'),
    deadLetterDir: path.join(root, 'state', 'dlq'),
    logDir: path.join(root, 'logs'),
  };
}

export function readLocalWorkerConfig(env: NodeJS.ProcessEnv = process.env): LocalWorkerConfig {
  const raw = env[LOCAL_CONFIG_ENV];
  if (!raw) throw new Error(`${LOCAL_CONFIG_ENV} is not set: local worker processes are started by 'spot-worker local'`);
  return JSON.parse(raw) as LocalWorkerConfig;
}
