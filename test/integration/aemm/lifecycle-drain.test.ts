/**
 * End to end, in process: `spot-worker run` (its real `run` function, AWS adapters and
 * worker) against moto and amazon-ec2-metadata-mock. When the target lifecycle state turns
 * `Terminated`, the worker drains like on a Spot notice and then completes the lifecycle
 * action with CONTINUE. moto has no CompleteLifecycleAction, so that one call, and only it,
 * is mocked with aws-sdk-client-mock; every other Auto Scaling call goes to moto.
 */
import { AutoScalingClient, CompleteLifecycleActionCommand, SetInstanceProtectionCommand } from '@aws-sdk/client-auto-scaling';
import { mockClient } from 'aws-sdk-client-mock';
import {
  expectDrainedWithNothingLost, FAST_KEYS, LATE_KEY, LogLine, outputKeyFor, outputKeys, SLOW_KEYS, uploadBatch, workerEnv,
} from './drain-scenario';
import { createMotoFleet, MotoFleet } from './moto-fleet';
import { waitUntil } from './support';
import { run } from '../../../worker-runtime/src/cli/run-command';
import { describeWithPeers, freePort, RunningPeer, startMetadataMock, startMoto } from '../../support/peers';

describeWithPeers(['AEMM_BIN', 'MOTO_SERVER_BIN'], 'spot-worker run on lifecycle Terminated (moto + metadata mock, CompleteLifecycleAction mocked)', () => {
  let moto: RunningPeer | undefined;
  let mock: RunningPeer | undefined;
  let fleet: MotoFleet | undefined;
  const savedEnv = { ...process.env };

  afterEach(async () => {
    process.env = { ...savedEnv };
    jest.restoreAllMocks();
    await mock?.stop();
    fleet?.destroy();
    await moto?.stop();
    mock = undefined; fleet = undefined; moto = undefined;
  });

  test('moto really lacks CompleteLifecycleAction (otherwise drop the mock below)', async () => {
    moto = await startMoto();
    fleet = await createMotoFleet(moto.endpoint);
    const client = new AutoScalingClient({ region: 'us-east-1', endpoint: moto.endpoint, maxAttempts: 1, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const error = await client.send(new CompleteLifecycleActionCommand({
      AutoScalingGroupName: fleet.groupName, LifecycleHookName: fleet.hookName, InstanceId: fleet.instanceId, LifecycleActionResult: 'CONTINUE',
    })).then(() => undefined, (e: unknown) => e as { $response?: { statusCode?: number } });
    client.destroy();
    // moto answers NotImplementedError with a bare HTML 500 page.
    expect(error?.$response?.statusCode).toBe(500);
  });

  test('target state Terminated: drains, clears protection, then completes the lifecycle action with CONTINUE', async () => {
    moto = await startMoto();
    fleet = await createMotoFleet(moto.endpoint);
    const f = fleet;
    const imdsPort = await freePort();
    const heartbeatTimeout = 15;
    Object.assign(process.env, workerEnv(f, moto.endpoint, `http://127.0.0.1:${imdsPort}`, {
      SPOT_WORKER_LIFECYCLE_HOOK_NAME: f.hookName,
      SPOT_WORKER_LIFECYCLE_HEARTBEAT_SECONDS: String(heartbeatTimeout),
    }));

    // Only CompleteLifecycleAction is faked; everything else passes through to moto. The fake
    // records what the world looked like at the moment the action was completed.
    const asg = mockClient(AutoScalingClient);
    asg.send.callThrough();
    const atCompletion: Array<{ protectedFromScaleIn: boolean; outputs: string[]; queue: { visible: number; inFlight: number } }> = [];
    asg.on(CompleteLifecycleActionCommand).callsFake(async () => {
      atCompletion.push({ protectedFromScaleIn: await f.protectedFromScaleIn(), outputs: await outputKeys(f), queue: await f.counts(f.queueUrl) });
      return {};
    });

    // The runtime's JSON log goes to stdout; keep it for the assertions.
    const logs: LogLine[] = [];
    let partial = '';
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop()!;
      for (const l of lines) if (l.startsWith('{')) logs.push(JSON.parse(l) as LogLine);
      return true;
    });

    const exitCode = run();
    await waitUntil('worker started', () => logs.find((l) => l.msg === 'worker started'), 30_000);
    await uploadBatch(f, [...FAST_KEYS, ...SLOW_KEYS]);
    await waitUntil('all four jobs in flight', async () => ((await f.counts(f.queueUrl)).inFlight === 4 ? true : undefined));
    await waitUntil('scale-in protection on', async () => ((await f.protectedFromScaleIn()) ? true : undefined));

    mock = await startMetadataMock(['asglifecycle', '--asg-termination-delay-sec', '0'], imdsPort);
    const draining = await waitUntil('draining', () => logs.find((l) => l.msg === 'draining'), 10_000);
    await uploadBatch(f, [LATE_KEY]);

    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      exitCode,
      new Promise<never>((_, rej) => { timer = setTimeout(() => rej(new Error('run() did not return within 60 s')), 60_000); }),
    ]).finally(() => clearTimeout(timer));
    expect(code).toBe(0);

    expect(draining).toMatchObject({ kind: 'lifecycle-terminating' });
    // The deadline comes from the hook's heartbeat timeout.
    expect(Date.parse(draining.deadline as string) - Date.parse(draining.time)).toBeLessThanOrEqual(heartbeatTimeout * 1000 + 1000);

    // Completed once, with CONTINUE, for moto's instance, in the configured hook and group.
    const completions = asg.commandCalls(CompleteLifecycleActionCommand);
    expect(completions).toHaveLength(1);
    expect(completions[0].args[0].input).toMatchObject({
      LifecycleHookName: f.hookName, AutoScalingGroupName: f.groupName, InstanceId: f.instanceId, LifecycleActionResult: 'CONTINUE',
    });
    // ...and only after the drain: protection already off, the fast outputs written, and
    // the two unfinished messages already released (visible again).
    expect(atCompletion).toEqual([{
      protectedFromScaleIn: false,
      outputs: FAST_KEYS.map(outputKeyFor).sort(),
      queue: { visible: 3, inFlight: 0 },
    }]);
    // Protection went on and off through moto for real (calls passed through the mock).
    const protection = asg.commandCalls(SetInstanceProtectionCommand).map((c) => c.args[0].input.ProtectedFromScaleIn);
    expect(protection).toContain(true);
    expect(protection[protection.length - 1]).toBe(false);

    await expectDrainedWithNothingLost(f, logs, draining);
  });
});
