/**
 * Issue 11, Build 3 (last part): after a scale-in protection call fails ambiguously (a timeout:
 * did it take effect?) the instance's state is read back with DescribeAutoScalingInstances and
 * corrected. Against moto's Auto Scaling group, through the real adapter; the only stand-in is
 * the lost answer itself (a wrapper that throws a TimeoutError before or after the real call),
 * since no peer can be made to time out one call on purpose.
 */
import { DescribeAutoScalingInstancesCommand, SetInstanceProtectionCommand } from '@aws-sdk/client-auto-scaling';
import { clients, createGroup, isProtected, waitUntil } from './moto-world';
import { AutoScalingInstanceControl } from '../../../worker-runtime/src/adapters/aws/auto-scaling-instance-control';
import { silentLogger } from '../../../worker-runtime/src/core/logger';
import type { InstanceControl } from '../../../worker-runtime/src/core/ports';
import { ScaleInProtection } from '../../../worker-runtime/src/core/scale-in-protection';
import { describeWithPeers, RunningPeer, startMoto } from '../../support/peers';

jest.setTimeout(60_000);

const timeout = (): Error => Object.assign(new Error('Request timed out'), { name: 'TimeoutError' });

/** The real control, recording its calls; `lose` decides per call whether its answer is lost, before or after it reached the group. */
function lossy(real: AutoScalingInstanceControl, lose: (protect: boolean, n: number) => 'before' | 'after' | undefined) {
  const sets: boolean[] = [];
  let reads = 0;
  const control: InstanceControl = Object.assign(Object.create(real) as InstanceControl, {
    setScaleInProtection: async (protect: boolean) => {
      sets.push(protect);
      const loss = lose(protect, sets.length);
      if (loss === 'before') throw timeout();
      await real.setScaleInProtection(protect);
      if (loss === 'after') throw timeout();
    },
    readScaleInProtection: async () => { reads += 1; return real.readScaleInProtection(); },
  });
  return { control, sets, reads: () => reads };
}

describeWithPeers(['MOTO_SERVER_BIN'], 'scale-in protection reconciled with DescribeAutoScalingInstances (moto)', () => {
  let moto: RunningPeer;
  beforeAll(async () => { moto = await startMoto(); });
  afterAll(async () => { await moto?.stop(); });

  async function group(name: string) {
    const g = await createGroup(moto.endpoint, name);
    const { asg } = clients(moto.endpoint);
    return { ...g, asg, real: new AutoScalingInstanceControl(asg, g.groupName, g.instanceId) };
  }

  test('a protect that timed out before reaching the group is read back as off and sent again while the work runs', async () => {
    const g = await group('reconcile-protect');
    const { control, sets, reads } = lossy(g.real, (protect, n) => (protect && n === 1 ? 'before' : undefined));
    const p = new ScaleInProtection(control, 60_000, silentLogger, undefined, 50);
    await p.busy(); // the work starts; nothing else calls busy() again
    // Protected during this busy period, not only at the next one.
    await waitUntil('protected on the group', () => isProtected(g.asg, g.instanceId), 10_000, 50);
    expect(sets).toEqual([true, true]);
    expect(reads()).toBe(1);
    expect(p.isProtected).toBe(true);
    await p.release();
    expect(await isProtected(g.asg, g.instanceId)).toBe(false);
  });

  test('a clear whose answer was lost after it took effect is read back as done: no retry, no doubt', async () => {
    const g = await group('reconcile-clear');
    const { control, sets, reads } = lossy(g.real, (protect) => (protect ? undefined : 'after'));
    const p = new ScaleInProtection(control, 0, silentLogger, undefined, 50);
    await p.busy();
    expect(await isProtected(g.asg, g.instanceId)).toBe(true);
    p.idle();
    await waitUntil('clear sent and read back', async () => reads() === 1, 10_000, 20);
    // Longer than several retry intervals (50, 100, 200 ms): nothing more is sent.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(sets).toEqual([true, false]);
    expect(p.isProtected).toBe(false);
    expect(await isProtected(g.asg, g.instanceId)).toBe(false);
    // State is known again: the next busy period protects with one call and no read.
    await p.busy();
    expect(sets).toEqual([true, false, true]);
    expect(reads()).toBe(1);
    await p.release();
  });

  test('readScaleInProtection is the group\'s ProtectedFromScaleIn for this instance', async () => {
    const g = await group('reconcile-read');
    const protect = (on: boolean) =>
      new SetInstanceProtectionCommand({ AutoScalingGroupName: g.groupName, InstanceIds: [g.instanceId], ProtectedFromScaleIn: on });
    await g.asg.send(protect(true));
    expect(await g.real.readScaleInProtection()).toBe(true);
    await g.asg.send(protect(false));
    expect(await g.real.readScaleInProtection()).toBe(false);
    const described = await g.asg.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [g.instanceId] }));
    expect(described.AutoScalingInstances?.[0]?.AutoScalingGroupName).toBe(g.groupName);
  });
});
