/**
 * What a local worker process needs to know, passed from the fleet in one environment variable
 * (`SPOT_WORKER_LOCAL_CONFIG`, JSON), and the folder layout of a local run.
 */
import * as path from 'path';

export const LOCAL_CONFIG_ENV = 'SPOT_WORKER_LOCAL_CONFIG';

export interface LocalWorkerConfig {
  readonly queueDir: string;
  readonly deadLetterDir: string;
  readonly bucketName: string;
  readonly bucketRoot: string;
  readonly bucketStateDir: string;
  readonly inputPrefix: string;
  readonly outputPrefix: string;
  readonly visibilityTimeoutSeconds: number;
  readonly maxReceiveCount: number;
  /** Jobs in flight per worker process. */
  readonly concurrency: number;
  /** Local seconds per real second of the things the policy times (see docs/local-mode.md). */
  readonly timeScale: number;
  /** Retry base delay of transient failures, in local seconds. */
  readonly retryBaseSeconds: number;
  readonly validateDecode: boolean;
  /** A JS module exporting a Handler, instead of the default image → PDF handler. */
  readonly handlerModule?: string;
  /** Log level of the worker's JSON log (its file under `logs/`). */
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
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
