/**
 * A worker that cannot start gives its instance up (issue 12, item 1), as real child processes of
 * the compiled CLI against moto: a configuration the runtime rejects, or the START_LIMIT-th start
 * within the window (the starts systemd's Restart=on-failure makes after crashes), publishes
 * InstancesMarkedUnhealthy and sets the instance Unhealthy in its group, once per window.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DescribeAutoScalingInstancesCommand } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import {
  createGroup, createWorld, ensureRuntimeCompiled, RunningWorker, startWorker, stopWorker, waitUntil, World,
} from './moto-world';
import { Metrics } from '../../../src/contract/runtime-metrics';
import { describeWithPeers, RunningPeer, startMoto } from '../../support/peers';

jest.setTimeout(120_000);

describeWithPeers(['MOTO_SERVER_BIN'], 'spot-worker run gives up its instance when it cannot start (moto)', () => {
  let moto: RunningPeer;
  let cw: CloudWatchClient;
  let tmp: string;
  const workers: RunningWorker[] = [];

  beforeAll(async () => {
    ensureRuntimeCompiled();
    moto = await startMoto();
    cw = new CloudWatchClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spot-worker-start-'));
  });

  afterAll(async () => {
    for (const w of workers) await stopWorker(w, 'SIGKILL');
    cw?.destroy();
    await moto?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  async function setUp(name: string): Promise<{ world: World; groupName: string; instanceId: string; env: Record<string, string> }> {
    const world = await createWorld(moto.endpoint, name, 30);
    const { groupName, instanceId } = await createGroup(moto.endpoint, `${name}-asg`);
    const env = {
      SPOT_WORKER_HANDLER: 'command',
      SPOT_WORKER_HANDLER_COMMAND: 'cp "$SPOT_WORKER_INPUT_FILE" "$SPOT_WORKER_OUTPUT_FILE"',
      SPOT_WORKER_ASG_NAME: groupName,
      SPOT_WORKER_INSTANCE_ID: instanceId,
      SPOT_WORKER_FLEET_NAME: name,
      SPOT_WORKER_STATE_DIRECTORY: path.join(tmp, name),
    };
    return { world, groupName, instanceId, env };
  }

  /** Runs one start to its end (bounded) and returns its exit code and output. */
  async function runToExit(w: World, env: Record<string, string>): Promise<{ code: number | null; worker: RunningWorker }> {
    const worker = startWorker(moto.endpoint, w, env);
    workers.push(worker);
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      worker.exited,
      new Promise<never>((_, rej) => { timer = setTimeout(() => rej(new Error(`worker did not exit within 60 s: ${worker.stderr()}`)), 60_000); }),
    ]).finally(() => clearTimeout(timer));
    return { code, worker };
  }

  async function health(w: World, instanceId: string): Promise<string | undefined> {
    const res = await w.asg.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [instanceId] }));
    return res.AutoScalingInstances?.[0]?.HealthStatus;
  }

  async function markedUnhealthyCount(fleet: string): Promise<number> {
    const res = await cw.send(new GetMetricStatisticsCommand({
      Namespace: 'SpotWorkerFleet',
      MetricName: Metrics.INSTANCES_MARKED_UNHEALTHY,
      Dimensions: [{ Name: 'Fleet', Value: fleet }],
      StartTime: new Date(Date.now() - 600_000),
      EndTime: new Date(Date.now() + 60_000),
      Period: 60,
      Statistics: ['Sum'],
    }));
    return (res.Datapoints ?? []).reduce((n, d) => n + (d.Sum ?? 0), 0);
  }

  test('a configuration the runtime rejects: instance Unhealthy and the metric at the first start, exit 2; a restart does not count it again', async () => {
    const { world, instanceId, env } = await setUp('rejected');
    expect(await health(world, instanceId)).toBe('Healthy');

    const first = await runToExit(world, { ...env, SPOT_WORKER_PREFETCH: 'lots' });
    expect(first.code).toBe(2);
    expect(first.worker.stderr()).toContain("SPOT_WORKER_PREFETCH='lots' must be a whole number");
    expect(first.worker.logs.find((l) => l.msg === 'worker started')).toBeUndefined();
    expect(first.worker.logs.find((l) => l.msg === 'instance marked unhealthy: the group replaces it')).toMatchObject({ reason: 'configuration-rejected' });
    expect(await health(world, instanceId)).toBe('Unhealthy');
    expect(await markedUnhealthyCount('rejected')).toBe(1);

    // systemd starts it again (Restart=on-failure): the same answer, no second report.
    const again = await runToExit(world, { ...env, SPOT_WORKER_PREFETCH: 'lots' });
    expect(again.code).toBe(2);
    expect(again.worker.logs.find((l) => l.msg === 'instance already marked unhealthy; waiting for the group to replace it')).toBeDefined();
    expect(await markedUnhealthyCount('rejected')).toBe(1);
  });

  test('a rejected configuration outside a group: exit 2, nothing reported', async () => {
    const { world, env } = await setUp('nogroup');
    const { SPOT_WORKER_ASG_NAME: _g, SPOT_WORKER_INSTANCE_ID: _i, ...rest } = env;
    const r = await runToExit(world, { ...rest, SPOT_WORKER_PREFETCH: 'lots' });
    expect(r.code).toBe(2);
    expect(await markedUnhealthyCount('nogroup')).toBe(0);
  });

  test('crash loop: starts 1 and 2 work (instance healthy); start 3 of SPOT_WORKER_START_LIMIT=3 marks it Unhealthy, publishes the metric, exits 1 without working', async () => {
    const { world, instanceId, env } = await setUp('crashloop');
    const limited = { ...env, SPOT_WORKER_START_LIMIT: '3', SPOT_WORKER_START_WINDOW_SECONDS: '600' };
    for (let start = 1; start <= 2; start++) {
      const w = startWorker(moto.endpoint, world, limited);
      workers.push(w);
      await waitUntil(`start ${start}: worker started`, async () => w.logs.find((l) => l.msg === 'worker started')
        ?? (w.child.exitCode !== null ? (() => { throw new Error(`exited: ${w.stderr()}`); })() : undefined), 30_000);
      expect(w.logs.find((l) => l.msg === 'start counted')).toMatchObject({ starts: start, startLimit: 3 });
      // A crash: no drain, no clean exit.
      await stopWorker(w, 'SIGKILL');
      expect(await health(world, instanceId)).toBe('Healthy');
    }
    expect(await markedUnhealthyCount('crashloop')).toBe(0);

    const third = await runToExit(world, limited);
    expect(third.code).toBe(1);
    expect(third.worker.stderr()).toContain('started 3 times within 600 s (SPOT_WORKER_START_LIMIT=3)');
    expect(third.worker.logs.find((l) => l.msg === 'worker started')).toBeUndefined();
    expect(third.worker.logs.find((l) => l.msg === 'instance marked unhealthy: the group replaces it')).toMatchObject({ reason: 'start-limit', starts: 3 });
    expect(await health(world, instanceId)).toBe('Unhealthy');
    expect(await markedUnhealthyCount('crashloop')).toBe(1);
  });
});
