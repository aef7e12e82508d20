/**
 * The boot proof's variants (issue 12, items 1-3 and 10): the same unmodified user data in the same
 * stand-in instance (docs/boot.md), where the boot or the worker cannot go on, and a rebalance
 * recommendation after a good boot. Each ends as the issue says: a failed boot or a configuration
 * the runtime rejects marks the instance unhealthy for its group to replace it; a rebalance drain
 * ends with the instance leaving its group, the desired capacity kept for a replacement.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DescribeAutoScalingGroupsCommand, DescribeAutoScalingInstancesCommand } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { CfnParameter, Duration } from 'aws-cdk-lib';
import { BootWorld, BootWorldOptions, createBootWorld, journalText, REGION, runUserData, serviceLog } from './boot-world';
import { synthesizeFleet, SynthesizedFleet } from './template';
import { describeWithPeers } from '../../support/peers';
import { waitUntil } from '../aemm/support';

const ROOT = path.join(__dirname, '..', '..', '..');
const BUNDLE_X64 = path.join(ROOT, 'worker-runtime', 'dist', 'bundle-x64');
const PEERS = ['BOOT_ROOTFS', 'NODE22_HOST_BIN', 'MOTO_SERVER_BIN', 'AEMM_BIN', 'RUNTIME_BUNDLE_X64'];

async function health(w: BootWorld): Promise<string | undefined> {
  const res = await w.autoScaling.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [w.instanceId] }));
  return res.AutoScalingInstances?.[0]?.HealthStatus;
}

describeWithPeers(PEERS, 'boot proof variants: failures mark the instance unhealthy, a rebalance drain leaves the group', () => {
  let defaults: SynthesizedFleet | undefined;
  // A value the synth cannot check (a parameter: the construct takes deploy-time values as valid) and
  // the shortest drain window, so that the wait for the group's termination after leaving is short.
  // No early idle release: with an empty queue it would rightly end the instance 5 s after its worker
  // starts, before the rebalance recommendation this fleet's variant is about.
  let parameterized: SynthesizedFleet | undefined;
  const worlds: BootWorld[] = [];
  const world = async (fleet: SynthesizedFleet, options?: BootWorldOptions) => {
    const w = await createBootWorld(fleet, options);
    worlds.push(w);
    return w;
  };

  beforeAll(() => {
    defaults = synthesizeFleet({ runtimeBundlePath: BUNDLE_X64 });
    parameterized = synthesizeFleet((stack) => ({
      runtimeBundlePath: BUNDLE_X64,
      drainTimeout: Duration.seconds(30),
      idleReleaseEarly: false,
      runtimeEnvironment: { SPOT_WORKER_MAX_IMAGE_BYTES: new CfnParameter(stack, 'MaxImageBytes').valueAsString },
    }));
  }, 120_000);

  afterAll(async () => {
    for (const w of worlds) await w.destroy();
    for (const f of [defaults, parameterized]) if (f) fs.rmSync(f.outdir, { recursive: true, force: true });
  }, 120_000);

  test('a bundle whose sha256 differs from the one in the user data fails the boot before unzip, is counted and logged, and marks the instance unhealthy', async () => {
    const w = await world(defaults!);
    const bundle = w.assetObjects.find((a) => a.key.endsWith('.zip'))!;
    await w.s3.send(new PutObjectCommand({ Bucket: bundle.bucket, Key: bundle.key, Body: Buffer.from('PK\u0003\u0004 not the bundle the template was synthesized with') }));
    expect(await health(w)).toBe('Healthy');

    const boot = await runUserData(w);
    expect(boot.code).not.toBe(0);
    expect(boot.steps.map((s) => s.name)).toEqual(['metadata', 'packages', 'runtime']);
    expect(boot.stdout + boot.stderr).toContain('sha256sum: WARNING: 1 computed checksum did NOT match');
    expect(boot.stderr).toMatch(/spot-worker-boot: FAILED step=runtime line=\d+ exit=1;/);
    expect(fs.existsSync(w.instance.file('/opt/spot-worker/spot-worker.js'))).toBe(false);
    expect(fs.existsSync(w.instance.file('/etc/systemd/system/spot-worker.service'))).toBe(false);
    // moto has no CompleteLifecycleAction, so the script's ABANDON fails there and it falls back to SetInstanceHealth.
    expect(await health(w)).toBe('Unhealthy');
    // Counted (the construct alarms on it) and written where it outlives the instance.
    const cfg = { region: REGION, endpoint: w.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
    const cloudWatch = new CloudWatchClient(cfg);
    const logs = new CloudWatchLogsClient(cfg);
    try {
      const metrics = await cloudWatch.send(new ListMetricsCommand({ Namespace: 'SpotWorkerFleet', MetricName: 'InstancesMarkedUnhealthy' }));
      expect(metrics.Metrics?.map((m) => m.Dimensions?.map((d) => d.Name))).toEqual([['Fleet']]);
      const logGroupName = /^SPOT_WORKER_LOG_GROUP="([^"]+)"$/m.exec(w.script)![1];
      const events = await logs.send(new GetLogEventsCommand({ logGroupName, logStreamName: `${w.instanceId}/boot` }));
      expect(JSON.parse(events.events![0].message!)).toMatchObject({ level: 'error', msg: 'boot failed', step: 'runtime', exitCode: 1 });
    } finally {
      cloudWatch.destroy();
      logs.destroy();
    }
  }, 300_000);

  test('a configuration the runtime rejects (a deploy-time value) marks the instance unhealthy once, while systemd keeps restarting the worker', async () => {
    const w = await world(parameterized!, { parameters: { MaxImageBytes: 'a lot' } });
    const boot = await runUserData(w);
    if (boot.code !== 0) throw new Error(`boot script exited ${boot.code}:\n${boot.stdout}\n${boot.stderr}`);
    const marked = await waitUntil('the worker marked its instance unhealthy', () =>
      serviceLog(w).find((l) => l.msg === 'instance marked unhealthy: the group replaces it'), 120_000)
      .catch((e: Error) => { throw new Error(`${e.message}; journal:\n${journalText(w).slice(-4000)}`); });
    expect(marked.reason).toBe('configuration-rejected');
    expect(String(marked.error)).toContain('SPOT_WORKER_MAX_IMAGE_BYTES');
    expect(await health(w)).toBe('Unhealthy');
    // Restart=on-failure starts it again; the next start does not report the instance a second time.
    await waitUntil('a second start', () => serviceLog(w).some((l) => l.msg === 'instance already marked unhealthy; waiting for the group to replace it') || undefined, 120_000)
      .catch((e: Error) => { throw new Error(`${e.message}; journal:\n${journalText(w).slice(-4000)}`); });
    expect(serviceLog(w).filter((l) => l.msg === 'instance marked unhealthy: the group replaces it')).toHaveLength(1);
    expect(journalText(w)).toContain('Scheduled restart job, restart counter is at 1.');
  }, 300_000);

  test('a rebalance recommendation after a good boot: the worker drains, leaves its group with the desired capacity kept, and exits 0 (not restarted)', async () => {
    // The recommendation comes 20 s after the mock starts: after the boot and the worker's start.
    const w = await world(parameterized!, { parameters: { MaxImageBytes: '104857600' }, metadataMockArgs: ['-d', '3600', '--rebalance-delay-sec', '20'] });
    const boot = await runUserData(w);
    if (boot.code !== 0) throw new Error(`boot script exited ${boot.code}:\n${boot.stdout}\n${boot.stderr}`);
    await waitUntil('the worker started', () => serviceLog(w).some((l) => l.msg === 'worker started') || undefined, 90_000)
      .catch((e: Error) => { throw new Error(`${e.message}; journal:\n${journalText(w).slice(-4000)}`); });
    await waitUntil('the leave', () => serviceLog(w).some((l) => String(l.msg).startsWith('left the group after a rebalance drain')) || undefined, 120_000)
      .catch((e: Error) => { throw new Error(`${e.message}; journal:\n${journalText(w).slice(-4000)}`); });
    const group = (await w.autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [w.groupName] }))).AutoScalingGroups![0];
    expect(group.DesiredCapacity).toBe(1);
    expect(group.Instances!.map((i) => i.InstanceId)).not.toContain(w.instanceId);
    // No termination notice comes (the mock serves none): the worker waits the hook's heartbeat (30 s), then exits 0.
    const state = () => JSON.parse(fs.readFileSync(w.instance.file('/run/systemd-shim/spot-worker.service.json'), 'utf8')) as Record<string, unknown>;
    await waitUntil('the service ended', () => (state().ActiveState === 'inactive' ? true : undefined), 120_000)
      .catch((e: Error) => { throw new Error(`${e.message}; journal:\n${journalText(w).slice(-4000)}`); });
    expect(state()).toMatchObject({ ExecMainCode: 'exited', ExecMainStatus: 0, NRestarts: 0 });
    expect(serviceLog(w).map((l) => l.msg)).toContain('draining');
  }, 300_000);
});
