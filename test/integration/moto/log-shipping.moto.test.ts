/**
 * Logs that outlive the instance (issue 12, item 4, runtime side): the log shipper against moto's
 * CloudWatch Logs (GetLogEvents reads back what arrived), and `spot-worker run` as a child process
 * with SPOT_WORKER_LOG_GROUP. The faults are real: a log group that does not exist yet (moto answers
 * ResourceNotFoundException) and an endpoint that accepts connections and never answers.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CloudWatchLogsClient, CreateLogGroupCommand, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { createGroup, createWorld, ensureRuntimeCompiled, RunningWorker, startWorker, stopWorker, upload, waitUntil } from './moto-world';
import { readRuntimeEnv } from '../../../src/contract/runtime-env';
import { startLogShipping } from '../../../worker-runtime/src/adapters/aws/aws-adapters';
import { createCloudWatchLogsClient } from '../../../worker-runtime/src/adapters/aws/aws-clients';
import { CloudWatchLogShipper } from '../../../worker-runtime/src/adapters/aws/cloudwatch-log-shipper';
import { describeWithPeers, freePort, motoEnv, RunningPeer, startMoto } from '../../support/peers';
import { startSilentServer } from '../silent-endpoint/silent-endpoint';

jest.setTimeout(120_000);

describeWithPeers(['MOTO_SERVER_BIN'], 'log lines shipped to CloudWatch Logs (moto)', () => {
  let moto: RunningPeer;
  let logs: CloudWatchLogsClient;
  let tmp: string;
  const workers: RunningWorker[] = [];
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    ensureRuntimeCompiled();
    moto = await startMoto();
    logs = new CloudWatchLogsClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spot-worker-logs-'));
  });
  afterAll(async () => {
    for (const w of workers) await stopWorker(w, 'SIGKILL');
    logs?.destroy();
    await moto?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });
  afterEach(() => { process.env = { ...savedEnv }; });

  /** The shipper's client, as the runtime makes it, pointed at `endpoint` through the standard variable. */
  function shipperClient(endpoint: string): CloudWatchLogsClient {
    Object.assign(process.env, motoEnv(endpoint));
    return createCloudWatchLogsClient({ connectionMs: 500, requestMs: 500, s3IdleMs: 500, maxAttempts: 1 });
  }

  async function streamMessages(group: string, stream: string): Promise<string[]> {
    const res = await logs.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: stream, startFromHead: true, limit: 10_000 }));
    return (res.events ?? []).map((e) => e.message!);
  }

  const line = (i: number) => `${JSON.stringify({ level: 'info', msg: `line ${i}` })}\n`;

  test('lines arrive in order, in batches of at most batchLines, in a stream the shipper creates', async () => {
    await logs.send(new CreateLogGroupCommand({ logGroupName: 'ordered' }));
    const client = shipperClient(moto.endpoint);
    const shipper = new CloudWatchLogShipper(client, 'ordered', 'i-0123/worker', { batchLines: 4, flushIntervalMs: 60_000 });
    for (let i = 0; i < 10; i++) shipper.write(line(i));
    expect(await shipper.close(10_000)).toBe(true);
    client.destroy();
    expect(await streamMessages('ordered', 'i-0123/worker')).toEqual(Array.from({ length: 10 }, (_, i) => line(i).trimEnd()));
    expect(shipper.stats).toEqual({ sent: 10, dropped: 0, failedSends: 0, buffered: 0 });
  });

  test('while the group does not exist the buffer keeps its newest lines; once it does, a counted warning says how many were dropped', async () => {
    const client = shipperClient(moto.endpoint);
    const local: string[] = [];
    const shipper = new CloudWatchLogShipper(client, 'late', 'i-0456/worker', {
      maxBufferedLines: 5, batchLines: 100, flushIntervalMs: 60_000, writeLocal: (l) => local.push(l),
    });
    for (let i = 0; i < 12; i++) shipper.write(line(i));
    await shipper.flush();
    expect(shipper.stats).toMatchObject({ sent: 0, dropped: 7, buffered: 5 });
    expect(shipper.stats.failedSends).toBeGreaterThan(0);
    // The outage is said once, locally (the journal), not through the failing shipper.
    expect(local.filter((l) => l.includes('log shipping failed'))).toHaveLength(1);

    await logs.send(new CreateLogGroupCommand({ logGroupName: 'late' }));
    expect(await shipper.close(10_000)).toBe(true);
    client.destroy();
    const messages = await streamMessages('late', 'i-0456/worker');
    expect(JSON.parse(messages[0])).toMatchObject({ level: 'warn', msg: 'log lines dropped: the shipping buffer was full', dropped: 7, maxBufferedLines: 5 });
    expect(messages.slice(1)).toEqual([7, 8, 9, 10, 11].map((i) => line(i).trimEnd()));
  });

  test('an endpoint that never answers: write returns at once, close gives up within its bound', async () => {
    const silent = await startSilentServer();
    try {
      const client = shipperClient(silent.endpoint);
      const shipper = new CloudWatchLogShipper(client, 'g', 's', { batchLines: 1, flushIntervalMs: 60_000, writeLocal: () => undefined });
      // write is synchronous: 1000 lines are taken while not one send has come back.
      for (let i = 0; i < 1000; i++) shipper.write(line(i));
      expect(shipper.stats.sent).toBe(0);
      expect(shipper.stats.buffered).toBeGreaterThan(0);
      expect(await shipper.close(2_000)).toBe(false);
      client.destroy();
    } finally {
      await silent.close();
    }
  });

  test('off EC2 (no instance id, no metadata service, or an endpoint that is not a URL) the stream is named after the host', async () => {
    await logs.send(new CreateLogGroupCommand({ logGroupName: 'off-ec2' }));
    Object.assign(process.env, motoEnv(moto.endpoint));
    const values = readRuntimeEnv({ SPOT_WORKER_LOG_GROUP: 'off-ec2' }).values;
    for (const endpoint of [`http://127.0.0.1:${await freePort()}`, 'not a url']) {
      const shipping = await startLogShipping(values, { env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: endpoint } });
      expect(shipping?.stream).toBe(`${os.hostname()}/worker`);
      shipping!.write(line(1));
      expect(await shipping!.close(10_000)).toBe(true);
    }
    expect(await streamMessages('off-ec2', `${os.hostname()}/worker`)).toEqual([line(1).trimEnd(), line(1).trimEnd()]);
    expect(await startLogShipping(readRuntimeEnv({}).values)).toBeUndefined();
  });

  test('spot-worker run with SPOT_WORKER_LOG_GROUP: its lines, from the start count to "stopped", are in the stream <instance id>/worker', async () => {
    const world = await createWorld(moto.endpoint, 'shipped', 30);
    const { groupName, instanceId } = await createGroup(moto.endpoint, 'shipped-asg');
    await logs.send(new CreateLogGroupCommand({ logGroupName: 'fleet-workers' }));
    const w = startWorker(moto.endpoint, world, {
      SPOT_WORKER_HANDLER: 'command',
      SPOT_WORKER_HANDLER_COMMAND: 'cp "$SPOT_WORKER_INPUT_FILE" "$SPOT_WORKER_OUTPUT_FILE"',
      SPOT_WORKER_ASG_NAME: groupName,
      SPOT_WORKER_INSTANCE_ID: instanceId,
      SPOT_WORKER_STATE_DIRECTORY: path.join(tmp, 'shipped'),
      SPOT_WORKER_LOG_GROUP: 'fleet-workers',
      SPOT_WORKER_METRICS: 'none',
    });
    workers.push(w);
    await waitUntil('worker started', async () => w.logs.find((l) => l.msg === 'worker started')
      ?? (w.child.exitCode !== null ? (() => { throw new Error(`exited: ${w.stderr()}`); })() : undefined), 30_000);
    await upload(world, 'uploads/shipped.jpg', new TextEncoder().encode('x'));
    await waitUntil('object processed', async () => w.logs.find((l) => l.msg === 'object processed'), 30_000);
    expect(await stopWorker(w, 'SIGTERM')).toBe(0);

    const shipped = (await streamMessages('fleet-workers', `${instanceId}/worker`)).map((m) => JSON.parse(m) as { msg: string });
    const local = w.logs.map((l) => l.msg);
    // Every line the journal got, in the same order.
    expect(shipped.map((l) => l.msg)).toEqual(local);
    expect(local).toEqual(expect.arrayContaining(['start counted', 'shipping log lines', 'worker started', 'object processed', 'stopped']));
  });

  test('a configuration the runtime rejects: why is in the stream, for after the instance is gone', async () => {
    const world = await createWorld(moto.endpoint, 'shipbad', 30);
    const { groupName, instanceId } = await createGroup(moto.endpoint, 'shipbad-asg');
    await logs.send(new CreateLogGroupCommand({ logGroupName: 'bad-workers' }));
    const w = startWorker(moto.endpoint, world, {
      SPOT_WORKER_HANDLER: 'command',
      SPOT_WORKER_HANDLER_COMMAND: 'true',
      SPOT_WORKER_ASG_NAME: groupName,
      SPOT_WORKER_INSTANCE_ID: instanceId,
      SPOT_WORKER_LOG_GROUP: 'bad-workers',
      SPOT_WORKER_RETRY_BASE_SECONDS: '60',
      SPOT_WORKER_RETRY_MAX_SECONDS: '30',
    });
    workers.push(w);
    expect(await waitUntil('exit', async () => (w.child.exitCode !== null ? { code: w.child.exitCode } : undefined), 60_000)).toEqual({ code: 2 });
    const shipped = (await streamMessages('bad-workers', `${instanceId}/worker`)).map((m) => JSON.parse(m) as { msg: string; error?: string });
    expect(shipped.find((l) => l.msg === 'instance marked unhealthy: the group replaces it')).toMatchObject({ reason: 'configuration-rejected' });
    expect(shipped.find((l) => l.msg === 'spot-worker run failed')?.error).toContain('SPOT_WORKER_RETRY_MAX_SECONDS (30) must be at least SPOT_WORKER_RETRY_BASE_SECONDS (60)');
  });
});
