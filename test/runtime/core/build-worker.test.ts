/**
 * One way to build a Worker (issue 9, Build item 4): `spot-worker run` and a local-mode worker
 * process both go loadRunConfig → buildWorker. What differs is only the adapters and local
 * mode's time compression; prefetch, the input limit and the handler's limits are the same.
 */
import { workerOptions } from '../../../worker-runtime/src/core/build-worker';
import { loadRunConfig } from '../../../worker-runtime/src/core/config';
import type { Handler } from '../../../worker-runtime/src/core/handler';
import { silentLogger } from '../../../worker-runtime/src/core/logger';
import type { ObjectStore, WorkQueue } from '../../../worker-runtime/src/core/ports';
import { localWorkerEnv, LocalWorkerConfig, readLocalWorkerConfig } from '../../../worker-runtime/src/local-fleet/worker-config';

const EC2_ENV = {
  SPOT_WORKER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/jobs',
  SPOT_WORKER_DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/jobs-dlq',
  SPOT_WORKER_CONCURRENCY: '2',
};
const LOCAL: LocalWorkerConfig = {
  queueDir: '/q',
  deadLetterDir: '/d',
  bucketName: 'b',
  bucketRoot: '/b',
  bucketStateDir: '/s',
  visibilityTimeoutSeconds: 30,
  maxReceiveCount: 5,
  timeScale: 60,
  storageLatencyMs: 0,
};
// The ports are never called here: only the options built around them are compared.
const parts = { queue: {} as WorkQueue, store: {} as ObjectStore, handler: { name: 'h' } as Handler, logger: silentLogger };

const TIMED = ['idleGraceSeconds', 'lifecycleHeartbeatSeconds', 'drainTimeoutSeconds', 'drainMarginSeconds', 'metricsFlushSeconds'] as const;

describe('buildWorker: one Worker for spot-worker run and local mode', () => {
  test('a local worker reads the same settings as spot-worker run (prefetch, input limit, handler limits), not its own', () => {
    const local = loadRunConfig(localWorkerEnv({}, {
      inputPrefix: 'uploads/', outputPrefix: 'processed/', concurrency: 2, validateDecode: false, logLevel: 'info',
    }, LOCAL));
    const ec2 = loadRunConfig(EC2_ENV);
    for (const k of ['prefetch', 'maxImageBytes', 'maxImagePixels', 'commandTimeoutSeconds', 'idleGraceSeconds', 'drainTimeoutSeconds',
      'retryBaseSeconds', 'retryMaxSeconds', 'receiveWaitSeconds', 'concurrency', 'inputPrefix', 'outputPrefix', 'handler'] as const) {
      expect([k, local[k]]).toEqual([k, ec2[k]]);
    }
    expect(local.metrics).toBe('none');
    expect(local.imdsPollSeconds).toBe(0);
  });

  test('a local worker never inherits a deployment\'s SPOT_WORKER_* from the shell, and gets its local settings back', () => {
    const env = localWorkerEnv({ PATH: '/bin', SPOT_WORKER_BUCKET: 'prod-bucket', SPOT_WORKER_PREFETCH: '0' }, {
      inputPrefix: 'uploads/', outputPrefix: 'processed/', concurrency: 1, validateDecode: true, handlerModule: '/h.js', logLevel: 'debug',
    }, LOCAL);
    const config = loadRunConfig(env);
    expect(env.PATH).toBe('/bin');
    expect(config.outputBucket).toBeUndefined();
    expect(config.prefetch).toBe(10);
    expect(config).toMatchObject({ handler: 'module', handlerModule: '/h.js', validateDecode: true, logLevel: 'debug', concurrency: 1 });
    expect(readLocalWorkerConfig(env)).toEqual(LOCAL);
  });

  test('local mode differs only in its time compression: policy durations divided by timeScale, the rest equal', () => {
    const config = loadRunConfig(EC2_ENV);
    const ec2 = workerOptions(config, parts);
    const local = workerOptions(config, parts, 60);
    for (const k of TIMED) expect([k, local[k]]).toEqual([k, ec2[k]! / 60]);
    expect(local.backoff).toEqual({ baseSeconds: ec2.backoff!.baseSeconds! / 60, maxSeconds: ec2.backoff!.maxSeconds! / 60 });
    const untimed = (o: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(o).filter(([k]) => !(TIMED as readonly string[]).includes(k) && k !== 'backoff'));
    expect(untimed({ ...local })).toEqual(untimed({ ...ec2 }));
    // The run's values are the documented defaults at time scale 1.
    expect(ec2).toMatchObject({
      idleGraceSeconds: 60, drainTimeoutSeconds: 90, drainMarginSeconds: 5, metricsFlushSeconds: 60, prefetch: 10, maxInputBytes: 104_857_600,
    });
    expect(ec2.backoff).toEqual({ baseSeconds: 10, maxSeconds: 900 });
  });

  test('a time scale that is not a positive number is refused', () => {
    expect(() => workerOptions(loadRunConfig(EC2_ENV), parts, 0)).toThrow(/timeScale must be a positive number/);
  });
});
