/**
 * Issue 11, item 6: every AWS SDK call the runtime makes has a connection and a request timeout.
 * Against an endpoint that accepts connections and never answers, each adapter call fails with a
 * timeout after its attempts (one connection per attempt) instead of staying pending for ever;
 * against a port that never completes a connection, the connection timeout ends it.
 */
import { outcomeWithin, SilentServer, startSilentServer, startUnacceptingPort } from './silent-endpoint';
import { AutoScalingInstanceControl } from '../../../worker-runtime/src/adapters/aws/auto-scaling-instance-control';
import { AwsClients, AwsTimeouts, createAwsClients, destroyAwsClients } from '../../../worker-runtime/src/adapters/aws/aws-clients';
import { CloudWatchMetricsSink } from '../../../worker-runtime/src/adapters/aws/cloudwatch-metrics-sink';
import { S3ObjectStore } from '../../../worker-runtime/src/adapters/aws/s3-object-store';
import { SqsWorkQueue } from '../../../worker-runtime/src/adapters/aws/sqs-work-queue';

const ENV_KEYS = ['AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_ENDPOINT_URL'];
/** Short, so the suite is quick; the shipped defaults are exercised once below. */
const SHORT: AwsTimeouts = { connectionMs: 400, requestMs: 400, s3IdleMs: 400, maxAttempts: 2 };
/** Far beyond any of the bounds (attempts × timeout + backoff): reaching it means "no timeout". */
const GUARD_MS = 15_000;

function withEndpoint(endpoint: string): () => void {
  const saved: Record<string, string | undefined> = {};
  for (const k of ENV_KEYS) saved[k] = process.env[k];
  Object.assign(process.env, { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_ENDPOINT_URL: endpoint });
  return () => { for (const k of ENV_KEYS) { if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k]; } };
}

describe('AWS SDK calls against an endpoint that accepts and never answers', () => {
  let server: SilentServer;
  let restore: () => void;
  let clients: AwsClients;
  const queueUrl = () => `${server.endpoint}/123456789012/jobs`;
  beforeAll(async () => {
    server = await startSilentServer();
    restore = withEndpoint(server.endpoint);
    clients = createAwsClients(process.env, SHORT);
  });
  afterAll(async () => { destroyAwsClients(clients); restore(); await server.close(); });

  const calls: Array<[string, () => Promise<unknown>]> = [
    ['SQS GetQueueAttributes (start: the visibility timeout)', () => new SqsWorkQueue(clients.sqs, queueUrl(), `${queueUrl()}-dlq`, SHORT).visibilityTimeoutSeconds()],
    ['SQS ReceiveMessage (a long poll: its wait plus the request timeout)',
      () => new SqsWorkQueue(clients.sqs, queueUrl(), `${queueUrl()}-dlq`, SHORT).receive({ maxMessages: 10, waitTimeSeconds: 1 })],
    ['SQS DeleteMessageBatch', () => new SqsWorkQueue(clients.sqs, queueUrl(), `${queueUrl()}-dlq`, SHORT).deleteBatch([{ id: 'a', receiptHandle: 'rh' }])],
    ['SQS ChangeMessageVisibility', () => new SqsWorkQueue(clients.sqs, queueUrl(), `${queueUrl()}-dlq`, SHORT).changeVisibility('rh', 0)],
    ['SQS SendMessage to the DLQ',
      () => new SqsWorkQueue(clients.sqs, queueUrl(), `${queueUrl()}-dlq`, SHORT).sendToDeadLetter({ messageId: 'm', receiptHandle: 'rh', body: '{}', receiveCount: 1 }, { kind: 'k', message: 'm' })],
    ['S3 GetObject', () => new S3ObjectStore(clients.s3).getObject('bkt', 'uploads/a.jpg')],
    ['S3 PutObject (1 MiB)', () => new S3ObjectStore(clients.s3).putObject('bkt', 'processed/a.jpg.pdf', Buffer.alloc(1024 * 1024), { contentType: 'application/pdf', metadata: {} })],
    ['Auto Scaling SetInstanceProtection', () => new AutoScalingInstanceControl(clients.autoScaling, 'asg', 'i-1').setScaleInProtection(true)],
    ['CloudWatch PutMetricData', async () => {
      const sink = new CloudWatchMetricsSink(clients.cloudWatch, 'Ns', { Fleet: 'f' });
      sink.record('ImagesProcessed', 1, 'Count');
      await sink.flush();
    }],
  ];

  test.each(calls)('%s fails with a timeout after its attempts instead of hanging', async (_name, call) => {
    const before = server.connections;
    const outcome = await outcomeWithin(call(), GUARD_MS);
    expect(outcome.state).toBe('rejected');
    expect(`${outcome.error?.name} ${outcome.error?.message}`).toMatch(/timeout|timed out|ETIMEDOUT/i);
    // One connection per attempt: the timeout is retried like any transient error, then given up.
    expect(server.connections - before).toBe(SHORT.maxAttempts);
  });

  test('with the shipped defaults (createAwsClients() as `spot-worker run` builds them) a call still ends', async () => {
    const defaults = createAwsClients(process.env);
    try {
      const outcome = await outcomeWithin(new SqsWorkQueue(defaults.sqs, queueUrl(), `${queueUrl()}-dlq`, defaults.timeouts).visibilityTimeoutSeconds(), 60_000);
      expect(outcome.state).toBe('rejected');
      expect(outcome.error?.message).toMatch(/requestTimeout/);
    } finally {
      destroyAwsClients(defaults);
    }
  }, 90_000);
});

test('a connection that never completes ends at the connection timeout', async () => {
  const port = await startUnacceptingPort();
  const restore = withEndpoint(port.endpoint);
  // A long request timeout, so only the connection timeout can end the call.
  const clients = createAwsClients(process.env, { ...SHORT, requestMs: 60_000, s3IdleMs: 60_000 });
  try {
    const outcome = await outcomeWithin(new S3ObjectStore(clients.s3).getObject('bkt', 'uploads/a.jpg'), GUARD_MS);
    expect(outcome.state).toBe('rejected');
    expect(outcome.error?.message).toMatch(/connection|timeout/i);
  } finally {
    destroyAwsClients(clients);
    restore();
    await port.close();
  }
});
