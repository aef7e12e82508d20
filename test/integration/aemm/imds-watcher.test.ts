/**
 * The IMDSv2 client and interruption watcher against amazon-ec2-metadata-mock (IMDSv2 only),
 * one fresh mock per scenario: token handling, and each kind of notice detected exactly once
 * with its deadline.
 */
import { recordingLogger, sleep, waitUntil } from './support';
import { ImdsClient, ImdsError } from '../../../worker-runtime/src/adapters/aws/imds-client';
import { ImdsInterruptionWatcher } from '../../../worker-runtime/src/adapters/aws/imds-watcher';
import { InterruptionNotice } from '../../../worker-runtime/src/core/ports';
import { describeWithPeers, freePort, RunningPeer, startMetadataMock } from '../../support/peers';

const AEMM_INSTANCE_ID = 'i-1234567890abcdef0';
const POLL_MS = 200;

describeWithPeers(['AEMM_BIN'], 'IMDSv2 watcher against amazon-ec2-metadata-mock', () => {
  let mock: RunningPeer | undefined;
  let watcher: ImdsInterruptionWatcher | undefined;

  afterEach(async () => {
    watcher?.stop();
    await watcher?.idle();
    watcher = undefined;
    await mock?.stop();
    mock = undefined;
  });

  function watch(endpoint: string, options: { lifecycle?: boolean } = {}) {
    const logger = recordingLogger();
    const notices: Array<{ notice: InterruptionNotice; at: number }> = [];
    watcher = new ImdsInterruptionWatcher({
      logger,
      client: new ImdsClient({ endpoint }),
      pollIntervalMs: POLL_MS,
      lifecycleHook: options.lifecycle ? { hookName: 'drain-hook', groupName: 'fleet-asg', heartbeatTimeoutSeconds: 300 } : undefined,
    });
    watcher.start((notice) => notices.push({ notice, at: Date.now() }));
    return { logger, notices };
  }

  test('requests are IMDSv2: a session token is fetched and sent; the mock refuses requests without one', async () => {
    mock = await startMetadataMock(['spot', '-d', '3600', '--rebalance-delay-sec', '3600']);
    const bare = await fetch(`${mock.endpoint}/latest/meta-data/instance-id`);
    await bare.arrayBuffer();
    expect(bare.status).toBe(401);

    const client = new ImdsClient({ endpoint: mock.endpoint });
    expect(await client.instanceId()).toBe(AEMM_INSTANCE_ID);
    // Not yet due: a 404, which the client reports as "none".
    expect(await client.spotInstanceAction()).toBeUndefined();
    expect(await client.rebalanceRecommendation()).toBeUndefined();
  });

  test('a token the service no longer knows (401) is replaced and the request retried', async () => {
    const port = await freePort();
    mock = await startMetadataMock(['spot', '-d', '3600', '--rebalance-delay-sec', '3600'], port);
    // A six-hour token: only a 401 can make the client fetch another one.
    const client = new ImdsClient({ endpoint: mock.endpoint, tokenTtlSeconds: 21_600 });
    expect(await client.instanceId()).toBe(AEMM_INSTANCE_ID);

    await mock.stop();
    mock = await startMetadataMock(['spot', '-d', '3600', '--rebalance-delay-sec', '3600'], port);
    // The cached token is unknown to the new mock, so this request first gets 401.
    expect(await client.instanceId()).toBe(AEMM_INSTANCE_ID);
  });

  test('a short-lived token (TTL 1 s) is renewed before use, across several expiries', async () => {
    mock = await startMetadataMock(['spot', '-d', '3600', '--rebalance-delay-sec', '3600']);
    const client = new ImdsClient({ endpoint: mock.endpoint, tokenTtlSeconds: 1 });
    for (let i = 0; i < 3; i++) {
      expect(await client.instanceId()).toBe(AEMM_INSTANCE_ID);
      await sleep(1_200);
    }
  });

  test('an unreachable service is a clear ImdsError within the timeout, not a hang', async () => {
    const port = await freePort();
    const client = new ImdsClient({ endpoint: `http://127.0.0.1:${port}`, timeoutMs: 500 });
    const started = Date.now();
    await expect(client.spotInstanceAction()).rejects.toBeInstanceOf(ImdsError);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  test('Spot interruption notice: reported once, with the notice time as deadline, and not before it is due', async () => {
    mock = await startMetadataMock(['spot', '-a', 'terminate', '-d', '2', '--rebalance-delay-sec', '3600']);
    const started = Date.now();
    const { notices, logger } = watch(mock.endpoint);

    const first = await waitUntil('spot notice', () => notices[0]);
    expect(first.notice.kind).toBe('spot-interruption');
    // Due 2 s after the mock started; a notice before that would be invented.
    expect(first.at - started).toBeGreaterThanOrEqual(1_000);
    // The mock's notice time is "request time + 2 minutes" (whole seconds).
    const lead = first.notice.deadline!.getTime() - first.at;
    expect(lead).toBeGreaterThan(115_000);
    expect(lead).toBeLessThanOrEqual(121_000);
    expect(first.notice.lifecycle).toBeUndefined();

    await sleep(POLL_MS * 6);
    expect(notices.map((n) => n.notice.kind)).toEqual(['spot-interruption']);
    expect(logger.entries.filter((e) => e.message === 'interruption notice')).toHaveLength(1);
    expect(logger.entries.find((e) => e.message === 'interruption notice')?.fields).toMatchObject({ kind: 'spot-interruption', action: 'terminate' });
  });

  test('rebalance recommendation: reported once, without a deadline (the run loop applies its drain timeout)', async () => {
    mock = await startMetadataMock(['spot', '-d', '3600', '--rebalance-delay-sec', '1']);
    const { notices } = watch(mock.endpoint);

    const first = await waitUntil('rebalance recommendation', () => notices[0]);
    expect(first.notice).toEqual({ kind: 'rebalance-recommendation' });

    await sleep(POLL_MS * 6);
    expect(notices.map((n) => n.notice.kind)).toEqual(['rebalance-recommendation']);
  });

  test('rebalance then Spot notice: both reported, each once, in the order they appear', async () => {
    mock = await startMetadataMock(['spot', '-d', '3', '--rebalance-delay-sec', '1']);
    const { notices } = watch(mock.endpoint);
    await waitUntil('both notices', () => notices.length >= 2 ? true : undefined);
    await sleep(POLL_MS * 4);
    expect(notices.map((n) => n.notice.kind)).toEqual(['rebalance-recommendation', 'spot-interruption']);
  });

  test('lifecycle target state Terminated: reported once with the lifecycle action and the heartbeat deadline', async () => {
    mock = await startMetadataMock(['asglifecycle', '--asg-termination-delay-sec', '2']);
    const client = new ImdsClient({ endpoint: mock.endpoint });
    expect(await client.targetLifecycleState()).toBe('InService');

    const { notices } = watch(mock.endpoint, { lifecycle: true });
    const first = await waitUntil('lifecycle notice', () => notices[0]);
    expect(first.notice.kind).toBe('lifecycle-terminating');
    expect(first.notice.lifecycle).toEqual({ hookName: 'drain-hook', groupName: 'fleet-asg', instanceId: AEMM_INSTANCE_ID });
    const lead = first.notice.deadline!.getTime() - first.at;
    expect(lead).toBeGreaterThan(295_000);
    expect(lead).toBeLessThanOrEqual(300_000);
    expect(await client.targetLifecycleState()).toBe('Terminated');

    await sleep(POLL_MS * 6);
    expect(notices).toHaveLength(1);
  });

  test('configured from the environment: poll interval, hook, group, endpoint', async () => {
    mock = await startMetadataMock(['asglifecycle', '--asg-termination-delay-sec', '1']);
    const logger = recordingLogger();
    watcher = ImdsInterruptionWatcher.fromEnvironment({
      AWS_EC2_METADATA_SERVICE_ENDPOINT: mock.endpoint,
      SPOT_WORKER_IMDS_POLL_SECONDS: '0.2',
      SPOT_WORKER_ASG_NAME: 'env-asg',
      SPOT_WORKER_LIFECYCLE_HOOK_NAME: 'env-hook',
    }, logger);
    const notices: InterruptionNotice[] = [];
    watcher.start((n) => notices.push(n));
    const notice = await waitUntil('lifecycle notice', () => notices[0]);
    expect(notice).toEqual({ kind: 'lifecycle-terminating', deadline: undefined, lifecycle: { hookName: 'env-hook', groupName: 'env-asg', instanceId: AEMM_INSTANCE_ID } });

    expect(() => ImdsInterruptionWatcher.fromEnvironment({ SPOT_WORKER_IMDS_POLL_SECONDS: 'soon' }, logger))
      .toThrow(/SPOT_WORKER_IMDS_POLL_SECONDS must be a positive number/);
    expect(() => ImdsInterruptionWatcher.fromEnvironment({ SPOT_WORKER_LIFECYCLE_HOOK_NAME: 'h' }, logger))
      .toThrow(/SPOT_WORKER_ASG_NAME/);
  });

  test('SPOT_WORKER_INSTANCE_ID, when set, names the instance in the lifecycle action (the id the ASG knows)', async () => {
    mock = await startMetadataMock(['asglifecycle', '--asg-termination-delay-sec', '0']);
    watcher = ImdsInterruptionWatcher.fromEnvironment({
      AWS_EC2_METADATA_SERVICE_ENDPOINT: mock.endpoint,
      SPOT_WORKER_IMDS_POLL_SECONDS: '0.2',
      SPOT_WORKER_ASG_NAME: 'env-asg',
      SPOT_WORKER_LIFECYCLE_HOOK_NAME: 'env-hook',
      SPOT_WORKER_LIFECYCLE_HEARTBEAT_SECONDS: '120',
      SPOT_WORKER_INSTANCE_ID: 'i-0override',
    }, recordingLogger());
    const notices: Array<{ notice: InterruptionNotice; at: number }> = [];
    watcher.start((n) => notices.push({ notice: n, at: Date.now() }));
    const { notice, at } = await waitUntil('lifecycle notice', () => notices[0]);
    expect(notice.lifecycle?.instanceId).toBe('i-0override');
    expect(notice.deadline!.getTime() - at).toBeGreaterThan(115_000);
  });

  test('the poll loop survives an outage: logged once, no throw, and a notice after the service returns', async () => {
    const port = await freePort();
    const { notices, logger } = watch(`http://127.0.0.1:${port}`);
    await waitUntil('outage logged', () => logger.entries.find((e) => e.level === 'warn'));
    await sleep(POLL_MS * 5);
    expect(logger.entries.filter((e) => e.level === 'warn')).toHaveLength(1);
    expect(notices).toHaveLength(0);

    mock = await startMetadataMock(['spot', '-d', '0', '--rebalance-delay-sec', '3600'], port);
    const notice = await waitUntil('spot notice after recovery', () => notices[0]);
    expect(notice.notice.kind).toBe('spot-interruption');
    expect(logger.entries.some((e) => e.message === 'imds reachable again')).toBe(true);
  });

  test('a throwing notice handler is logged and does not stop the watcher', async () => {
    mock = await startMetadataMock(['spot', '-d', '3', '--rebalance-delay-sec', '1']);
    const logger = recordingLogger();
    const seen: string[] = [];
    watcher = new ImdsInterruptionWatcher({ logger, client: new ImdsClient({ endpoint: mock.endpoint }), pollIntervalMs: POLL_MS });
    watcher.start((n) => { seen.push(n.kind); throw new Error('handler bug'); });
    await waitUntil('both notices', () => seen.length >= 2 ? true : undefined);
    expect(seen).toEqual(['rebalance-recommendation', 'spot-interruption']);
    expect(logger.entries.filter((e) => e.message === 'interruption handler threw')).toHaveLength(2);
  });
});
