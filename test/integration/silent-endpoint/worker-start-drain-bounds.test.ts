/**
 * Issue 11, item 6 (start and drain bounded as a whole): the Worker over the real AWS adapters,
 * every endpoint a local TCP server that accepts and never answers. Each SDK call is bounded by
 * its client's timeouts (aws-client-timeouts.test.ts); these tests show that `start()` and
 * `drain()` end as a whole: start() when its calls give up, and a drain by its own cleanup budget
 * even when the calls would outlast it (request timeouts of a minute, far beyond the guards).
 */
import { outcomeWithin, SilentServer, startSilentServer } from './silent-endpoint';
import { AutoScalingInstanceControl } from '../../../worker-runtime/src/adapters/aws/auto-scaling-instance-control';
import { AwsClients, AwsTimeouts, createAwsClients, destroyAwsClients } from '../../../worker-runtime/src/adapters/aws/aws-clients';
import { CloudWatchMetricsSink } from '../../../worker-runtime/src/adapters/aws/cloudwatch-metrics-sink';
import { S3ObjectStore } from '../../../worker-runtime/src/adapters/aws/s3-object-store';
import { SqsWorkQueue } from '../../../worker-runtime/src/adapters/aws/sqs-work-queue';
import type { Handler } from '../../../worker-runtime/src/core/handler';
import { Worker } from '../../../worker-runtime/src/core/worker';

const ENV_KEYS = ['AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_ENDPOINT_URL'];
/** Far beyond the bounds under test, far below the calls' own timeouts where those are long. */
const GUARD_MS = 20_000;

const handler: Handler = { name: 'never-called', handle: () => Promise.reject(new Error('no message is ever received')) };

describe('Worker start and drain against endpoints that accept and never answer', () => {
  let server: SilentServer;
  const saved: Record<string, string | undefined> = {};
  const cleanups: Array<() => void> = [];
  const queueUrl = () => `${server.endpoint}/123456789012/jobs`;

  beforeAll(async () => {
    server = await startSilentServer();
    for (const k of ENV_KEYS) saved[k] = process.env[k];
    Object.assign(process.env, { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_ENDPOINT_URL: server.endpoint });
  });
  afterEach(() => { while (cleanups.length) cleanups.pop()!(); });
  afterAll(async () => {
    for (const k of ENV_KEYS) { if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k]; }
    await server.close();
  });

  type Built = { w: Worker; clients: AwsClients; metrics: CloudWatchMetricsSink };
  function worker(timeouts: AwsTimeouts, extra: Partial<ConstructorParameters<typeof Worker>[0]> = {}): Built {
    const clients = createAwsClients(process.env, timeouts);
    cleanups.push(() => destroyAwsClients(clients));
    const metrics = new CloudWatchMetricsSink(clients.cloudWatch, 'Ns', { Fleet: 'f' });
    const w = new Worker({
      queue: new SqsWorkQueue(clients.sqs, queueUrl(), `${queueUrl()}-dlq`, timeouts),
      store: new S3ObjectStore(clients.s3),
      handler,
      instance: new AutoScalingInstanceControl(clients.autoScaling, 'asg', 'i-1'),
      metrics,
      concurrency: 1,
      waitTimeSeconds: 1,
      ...extra,
    });
    return { w, clients, metrics };
  }

  test('start() ends once its calls give up (stale-protection clear and queue settings read, side by side), then a drain ends too', async () => {
    const short: AwsTimeouts = { connectionMs: 400, requestMs: 400, s3IdleMs: 400, maxAttempts: 2 };
    const { w } = worker(short, { drainTimeoutSeconds: 2, drainMarginSeconds: 1 });
    const unknown: string[] = [];
    w.on('queue_settings_unknown', (e) => unknown.push(e.error));
    const started = await outcomeWithin(w.start(), GUARD_MS);
    expect(started.state).toBe('resolved');
    expect(unknown).toHaveLength(1);
    expect(unknown[0]).toMatch(/timeout/i);
    const drained = await outcomeWithin(w.drain(), GUARD_MS);
    expect(drained.state).toBe('resolved');
  });

  test('SIGTERM while start() waits: the drain ends by its cleanup budget with protection, metrics and the lifecycle action '
    + 'still unanswered, and start() ends with it', async () => {
    // Calls that would each take a minute: only the drain's budget (1 s) can end it in time.
    const slow: AwsTimeouts = { connectionMs: 60_000, requestMs: 60_000, s3IdleMs: 60_000, maxAttempts: 1 };
    const { w, metrics } = worker(slow, { drainTimeoutSeconds: 1, drainMarginSeconds: 0, drainCleanupSeconds: 1 });
    const cut: string[][] = [];
    w.on('drain_cut_short', (e) => cut.push(e.steps));
    const connectionsBefore = server.connections;
    const starting = w.start();
    metrics.record('ImagesProcessed', 1, 'Count'); // so the last flush has something to send
    const lifecycle = { hookName: 'drain', groupName: 'asg', instanceId: 'i-1' };
    const drained = await outcomeWithin(w.drain({ kind: 'lifecycle-terminating', lifecycle }), GUARD_MS);
    expect(drained.state).toBe('resolved');
    expect((await outcomeWithin(starting, GUARD_MS)).state).toBe('resolved');
    expect(cut).toHaveLength(1);
    expect(cut[0]).toEqual(expect.arrayContaining(['scale-in protection', 'metrics', 'lifecycle action']));
    // The calls did go out (and hang): the bound is the drain's, not a call's failing early.
    expect(server.connections - connectionsBefore).toBeGreaterThanOrEqual(3);
  });
});
