/**
 * AWS SDK clients for the runtime. Endpoints come from the standard variables, which SDK v3
 * reads itself (`AWS_ENDPOINT_URL`, and per service `AWS_ENDPOINT_URL_S3`, `_SQS`,
 * `_AUTO_SCALING`, `_CLOUDWATCH`, `_CLOUDWATCH_LOGS`); this module only adds what the SDK cannot guess: path-style
 * S3 addressing whenever a custom endpoint is in use (moto, MinIO and friends have no
 * virtual-host DNS), a short retry budget, and timeouts on every call, so an endpoint that
 * accepts connections and never answers fails a call instead of stalling the worker for ever
 * (the SDK's defaults have no request timeout at all), and as many S3 connections as the worker
 * runs jobs (the SDK's agent opens at most 50 per host and queues the rest).
 */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { RUNTIME_ENV } from '../../contract/runtime-env';

export interface AwsClients {
  readonly sqs: SQSClient;
  readonly s3: S3Client;
  readonly autoScaling: AutoScalingClient;
  readonly cloudWatch: CloudWatchClient;
  /** What the clients were built with (the work queue adds a long poll's wait to `requestMs`). */
  readonly timeouts: AwsTimeouts;
}

/** Timeouts of every SDK call (milliseconds). docs/runtime.md gives the resulting bounds. */
export interface AwsTimeouts {
  /** TCP (and TLS) connection set-up. */
  readonly connectionMs: number;
  /**
   * Whole request, for SQS, Auto Scaling and CloudWatch calls (small requests and answers). A
   * long poll gets its wait on top (`receiveRequestTimeoutMs`).
   */
  readonly requestMs: number;
  /**
   * S3: the socket may be silent this long (no bytes either way). S3 has no whole-request limit,
   * since a large object on a slow link may take long while bytes keep flowing; a job's own
   * timeout bounds it.
   */
  readonly s3IdleMs: number;
  /** Attempts per call, including the first (the SDK's standard retry with backoff). */
  readonly maxAttempts: number;
}

export const DEFAULT_AWS_TIMEOUTS: AwsTimeouts = { connectionMs: 3_000, requestMs: 10_000, s3IdleMs: 20_000, maxAttempts: 3 };

/** A long poll's whole-request timeout: the wait it asked for, plus the usual request timeout. */
export function receiveRequestTimeoutMs(waitTimeSeconds: number, timeouts: AwsTimeouts = DEFAULT_AWS_TIMEOUTS): number {
  return waitTimeSeconds * 1000 + timeouts.requestMs;
}

type Env = Record<string, string | undefined>;

/** True when S3 requests go to a custom endpoint and need path-style addressing. */
export function usesCustomS3Endpoint(env: Env): boolean {
  return Boolean(env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL) && env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS !== 'true';
}

/** The settings of the clients with small requests and answers (everything but S3). */
function controlPlane(timeouts: AwsTimeouts) {
  // Without throwOnRequestTimeout the SDK only logs a warning when requestTimeout passes.
  return {
    maxAttempts: timeouts.maxAttempts,
    requestHandler: { connectionTimeout: timeouts.connectionMs, requestTimeout: timeouts.requestMs, throwOnRequestTimeout: true },
  };
}

/**
 * The CloudWatch Logs client of the log shipper (`SPOT_WORKER_LOG_GROUP`), with the same timeouts.
 * Separate from the others: it is made before the configuration is known good, so that the
 * lines saying why it is not are shipped too.
 */
export function createCloudWatchLogsClient(timeouts: AwsTimeouts = DEFAULT_AWS_TIMEOUTS): CloudWatchLogsClient {
  return new CloudWatchLogsClient(controlPlane(timeouts));
}

/**
 * S3 connections a worker may open at once: one per job slot, since a job has at most one S3
 * request open (GET, HEAD, PUT or one upload piece, one after the other). With fewer, jobs past
 * the 50th would wait for a socket while their slots look busy.
 */
export function s3ConnectionsFor(concurrency: number | 'auto', maxConcurrency: number): number {
  return concurrency === 'auto' ? maxConcurrency : concurrency;
}

export function createAwsClients(
  env: Env = process.env, timeouts: AwsTimeouts = DEFAULT_AWS_TIMEOUTS,
  s3Connections: number = RUNTIME_ENV.SPOT_WORKER_MAX_CONCURRENCY.default,
): AwsClients {
  const control = controlPlane(timeouts);
  const agent = { maxSockets: s3Connections };
  return {
    sqs: new SQSClient(control),
    s3: new S3Client({
      maxAttempts: timeouts.maxAttempts,
      forcePathStyle: usesCustomS3Endpoint(env),
      // Both agents: S3 on AWS is HTTPS, a custom endpoint (moto) may be plain HTTP.
      requestHandler: { connectionTimeout: timeouts.connectionMs, socketTimeout: timeouts.s3IdleMs, httpAgent: agent, httpsAgent: agent },
    }),
    autoScaling: new AutoScalingClient(control),
    cloudWatch: new CloudWatchClient(control),
    timeouts,
  };
}

export function destroyAwsClients(clients: AwsClients): void {
  clients.sqs.destroy();
  clients.s3.destroy();
  clients.autoScaling.destroy();
  clients.cloudWatch.destroy();
}
