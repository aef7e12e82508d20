/**
 * An instance is in service only while its worker works (issue 12, items 1 and 2), in process:
 * `spot-worker run` (its real `run` function, AWS adapters and worker) against moto and an
 * amazon-ec2-metadata-mock of its own per scenario, started before the worker, so every poll
 * has a peer to answer it; every wait is bounded.
 *
 * moto has no CompleteLifecycleAction (lifecycle-drain.test.ts checks that it still answers
 * 500), so where a scenario needs it to succeed that call, and only it, is faked with
 * aws-sdk-client-mock; every other Auto Scaling call (protection, SetInstanceHealth,
 * TerminateInstanceInAutoScalingGroup) goes through to moto. moto's 500 itself is the fault of the
 * retry scenario, and an instance id moto does not know is the fault of the refused leave.
 */
import {
  AutoScalingClient, CompleteLifecycleActionCommand, CompleteLifecycleActionCommandInput, DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand, PutLifecycleHookCommand, TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { mockClient } from 'aws-sdk-client-mock';
import { FAST_KEYS, LogLine, outputKeyFor, outputKeys, uploadBatch, workerEnv } from './drain-scenario';
import { createMotoFleet, MotoFleet } from './moto-fleet';
import { waitUntil } from './support';
import { run } from '../../../worker-runtime/src/cli/run-command';
import { describeWithPeers, freePort, RunningPeer, startMetadataMock, startMoto } from '../../support/peers';

jest.setTimeout(120_000);

/** At most this long for `run()` to return once it should. */
async function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, rej) => { timer = setTimeout(() => rej(new Error(`${what} within ${ms} ms`)), ms); })])
    .finally(() => clearTimeout(timer));
}

describeWithPeers(['AEMM_BIN', 'MOTO_SERVER_BIN'], 'spot-worker run: launch hook when ready, leaving the group after a rebalance drain (moto + metadata mock)', () => {
  let moto: RunningPeer | undefined;
  let mocks: RunningPeer[] = [];
  let fleet: MotoFleet | undefined;
  let pending: Promise<number> | undefined;
  const savedEnv = { ...process.env };

  afterEach(async () => {
    // A scenario that failed half-way must not leave its worker running into the next one.
    if (pending) {
      process.emit('SIGTERM', 'SIGTERM');
      await bounded(pending.catch(() => 0), 60_000, 'the worker to stop').catch(() => undefined);
    }
    process.env = { ...savedEnv };
    jest.restoreAllMocks();
    for (const m of mocks) await m.stop();
    fleet?.destroy();
    await moto?.stop();
    mocks = []; fleet = undefined; moto = undefined; pending = undefined;
  });

  /** The runtime's JSON log (stdout), parsed. */
  function captureLogs(): LogLine[] {
    const logs: LogLine[] = [];
    let partial = '';
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop()!;
      for (const l of lines) if (l.startsWith('{')) logs.push(JSON.parse(l) as LogLine);
      return true;
    });
    return logs;
  }

  /** Fakes CompleteLifecycleAction only (moto lacks it); `onCall` sees the world at that moment. */
  function fakeCompleteLifecycleAction(onCall: (input: CompleteLifecycleActionCommandInput) => Promise<void> | void) {
    const asg = mockClient(AutoScalingClient);
    asg.send.callThrough();
    asg.on(CompleteLifecycleActionCommand).callsFake(async (input: CompleteLifecycleActionCommandInput) => { await onCall(input); return {}; });
    return asg;
  }

  async function groupInstances(f: MotoFleet): Promise<{ desired: number; ids: string[] }> {
    const g = (await f.autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [f.groupName] }))).AutoScalingGroups![0];
    return { desired: g.DesiredCapacity!, ids: (g.Instances ?? []).map((i) => i.InstanceId!) };
  }

  test('ready: the launching hook is completed with CONTINUE, by instance id and without a token, once the receive loop runs', async () => {
    moto = await startMoto();
    fleet = await createMotoFleet(moto.endpoint);
    const f = fleet;
    const launchHook = 'spot-worker-launch';
    await f.autoScaling.send(new PutLifecycleHookCommand({
      AutoScalingGroupName: f.groupName, LifecycleHookName: launchHook, LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING', HeartbeatTimeout: 360, DefaultResult: 'ABANDON',
    }));
    // Its own metadata mock, with nothing to announce for an hour.
    const imds = await startMetadataMock(['spot', '-d', '3600', '--rebalance-delay-sec', '3600']);
    mocks.push(imds);
    Object.assign(process.env, workerEnv(f, moto.endpoint, imds.endpoint, { SPOT_WORKER_LAUNCH_HOOK_NAME: launchHook, SPOT_WORKER_RECEIVE_WAIT_SECONDS: '2' }));
    const logs = captureLogs();
    const startedAtCompletion: boolean[] = [];
    const asg = fakeCompleteLifecycleAction(() => { startedAtCompletion.push(logs.some((l) => l.msg === 'worker started')); });

    pending = run();
    await waitUntil('launch hook completed', () => logs.find((l) => l.msg === 'launch hook completed: instance in service'), 30_000);
    // In service and working: an upload is converted.
    await uploadBatch(f, [FAST_KEYS[0]]);
    await waitUntil('the upload processed', async () => ((await outputKeys(f)).includes(outputKeyFor(FAST_KEYS[0])) ? true : undefined), 30_000);

    process.emit('SIGTERM', 'SIGTERM');
    expect(await bounded(pending, 60_000, 'run() to return after SIGTERM')).toBe(0);
    pending = undefined;

    const calls = asg.commandCalls(CompleteLifecycleActionCommand).map((c) => c.args[0].input);
    expect(calls).toEqual([{
      LifecycleHookName: launchHook,
      AutoScalingGroupName: f.groupName,
      InstanceId: f.instanceId,
      LifecycleActionResult: 'CONTINUE',
      LifecycleActionToken: undefined,
    }]);
    // Only once the worker was ready.
    expect(startedAtCompletion).toEqual([true]);
    // A SIGTERM drain does not leave the group.
    expect(asg.commandCalls(TerminateInstanceInAutoScalingGroupCommand)).toHaveLength(0);
    expect((await groupInstances(f)).ids).toContain(f.instanceId);
  });

  test('a configuration the runtime rejects: the launching hook is abandoned and the instance set Unhealthy, never CONTINUE', async () => {
    moto = await startMoto();
    fleet = await createMotoFleet(moto.endpoint);
    const f = fleet;
    const imds = await startMetadataMock(['spot', '-d', '3600', '--rebalance-delay-sec', '3600']);
    mocks.push(imds);
    Object.assign(process.env, workerEnv(f, moto.endpoint, imds.endpoint, { SPOT_WORKER_LAUNCH_HOOK_NAME: 'spot-worker-launch', SPOT_WORKER_PREFETCH: '-3' }));
    captureLogs();
    const asg = fakeCompleteLifecycleAction(() => undefined);

    await expect(bounded(run(), 60_000, 'run() to refuse the configuration')).rejects.toThrow("SPOT_WORKER_PREFETCH='-3' must be a whole number");
    expect(asg.commandCalls(CompleteLifecycleActionCommand).map((c) => c.args[0].input.LifecycleActionResult)).toEqual(['ABANDON']);
    const res = await f.autoScaling.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [f.instanceId] }));
    expect(res.AutoScalingInstances?.[0]?.HealthStatus).toBe('Unhealthy');
  });

  test('rebalance drain: leaves the group keeping desired capacity (a replacement launches), completes the termination hook once IMDS says Terminated, exits 0', async () => {
    moto = await startMoto();
    fleet = await createMotoFleet(moto.endpoint);
    const f = fleet;
    const port = await freePort();
    // This scenario's metadata mock: a rebalance recommendation at once, no interruption.
    mocks.push(await startMetadataMock(['spot', '-d', '3600', '--rebalance-delay-sec', '0'], port));
    Object.assign(process.env, workerEnv(f, moto.endpoint, `http://127.0.0.1:${port}`, {
      SPOT_WORKER_LIFECYCLE_HOOK_NAME: f.hookName,
      SPOT_WORKER_LIFECYCLE_HEARTBEAT_SECONDS: '60',
      SPOT_WORKER_DRAIN_TIMEOUT_SECONDS: '15',
    }));
    const logs = captureLogs();
    const atCompletion: Array<{ inGroup: boolean; left: boolean }> = [];
    const asg = fakeCompleteLifecycleAction(async () => {
      atCompletion.push({ inGroup: (await groupInstances(f)).ids.includes(f.instanceId), left: logs.some((l) => l.msg.startsWith('left the group')) });
    });

    pending = run();
    const draining = await waitUntil('draining', () => logs.find((l) => l.msg === 'draining'), 30_000);
    expect(draining).toMatchObject({ kind: 'rebalance-recommendation' });
    // The worker left: moto took the instance out of the group and launched a replacement.
    const after = await waitUntil('the instance out of its group', async () => {
      const g = await groupInstances(f);
      return g.ids.includes(f.instanceId) ? undefined : g;
    }, 60_000);
    expect(after.desired).toBe(1);
    expect(after.ids).toHaveLength(1);
    expect(after.ids[0]).not.toBe(f.instanceId);
    expect(asg.commandCalls(TerminateInstanceInAutoScalingGroupCommand).map((c) => c.args[0].input)).toEqual([
      { InstanceId: f.instanceId, ShouldDecrementDesiredCapacity: false },
    ]);
    // Still running: waiting for the group's termination hook, not gone.
    expect(asg.commandCalls(CompleteLifecycleActionCommand)).toHaveLength(0);

    // The group now runs the termination hook: the metadata service says so (a new mock on the
    // same port, as the instance's IMDS would change its answer).
    await mocks.shift()!.stop();
    mocks.push(await startMetadataMock(['asglifecycle', '--asg-termination-delay-sec', '0'], port));

    expect(await bounded(pending, 60_000, 'run() to return after Terminated')).toBe(0);
    pending = undefined;
    expect(asg.commandCalls(CompleteLifecycleActionCommand).map((c) => c.args[0].input)).toEqual([{
      LifecycleHookName: f.hookName,
      AutoScalingGroupName: f.groupName,
      InstanceId: f.instanceId,
      LifecycleActionResult: 'CONTINUE',
      LifecycleActionToken: undefined,
    }]);
    expect(atCompletion).toEqual([{ inGroup: false, left: true }]);
    expect(logs.find((l) => l.msg === 'termination hook completed after leaving the group')).toBeDefined();
  });
  test('rebalance drain whose leave the group refuses (moto does not know the instance): exit 1, so systemd starts a worker again', async () => {
    moto = await startMoto();
    fleet = await createMotoFleet(moto.endpoint);
    const f = fleet;
    const imds = await startMetadataMock(['spot', '-d', '3600', '--rebalance-delay-sec', '0']);
    mocks.push(imds);
    // An id moto's group does not hold: TerminateInstanceInAutoScalingGroup fails for real (so do
    // the protection calls, which the worker only logs).
    Object.assign(process.env, workerEnv(f, moto.endpoint, imds.endpoint, { SPOT_WORKER_INSTANCE_ID: 'i-00000000000000000', SPOT_WORKER_DRAIN_TIMEOUT_SECONDS: '15' }));
    const logs = captureLogs();

    expect(await bounded(run(), 60_000, 'run() to return after the refused leave')).toBe(1);
    expect(logs.find((l) => l.msg === 'draining')).toMatchObject({ kind: 'rebalance-recommendation' });
    expect(logs.find((l) => l.msg.startsWith('could not leave the group after the drain'))).toBeDefined();
    // moto's instance is untouched: still in the group.
    expect((await groupInstances(f)).ids).toEqual([f.instanceId]);
  });
  test("moto's own answer to CompleteLifecycleAction (500, it has none): tried 5 times with backoff while the worker works, then left to the hook's timeout", async () => {
    moto = await startMoto();
    fleet = await createMotoFleet(moto.endpoint);
    const f = fleet;
    const imds = await startMetadataMock(['spot', '-d', '3600', '--rebalance-delay-sec', '3600']);
    mocks.push(imds);
    Object.assign(process.env, workerEnv(f, moto.endpoint, imds.endpoint, { SPOT_WORKER_LAUNCH_HOOK_NAME: 'spot-worker-launch', SPOT_WORKER_RECEIVE_WAIT_SECONDS: '2' }));
    const logs = captureLogs();

    pending = run();
    await waitUntil('a first failed completion', () => logs.find((l) => l.msg === 'launch hook completion failed; trying again'), 30_000);
    // Jobs do not wait for the group: an upload is converted while the completion is retried.
    await uploadBatch(f, [FAST_KEYS[0]]);
    await waitUntil('the upload processed', async () => ((await outputKeys(f)).includes(outputKeyFor(FAST_KEYS[0])) ? true : undefined), 30_000);
    const gaveUp = await waitUntil('the completion given up', () => logs.find((l) => l.msg === 'could not complete the launch hook; its timeout will abandon the launch'), 90_000);
    expect(gaveUp).toMatchObject({ attempts: 5 });
    expect(logs.filter((l) => l.msg === 'launch hook completion failed; trying again').map((l) => l.attempt)).toEqual([1, 2, 3, 4]);
    const processedAt = Date.parse(logs.find((l) => l.msg === 'object processed')!.time);
    expect(processedAt).toBeLessThan(Date.parse(gaveUp.time));

    process.emit('SIGTERM', 'SIGTERM');
    expect(await bounded(pending, 60_000, 'run() to return after SIGTERM')).toBe(0);
    pending = undefined;
  });
});
