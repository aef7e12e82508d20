/**
 * Issue 11, item 3: a failed clear of scale-in protection is retried with backoff (one throttle
 * must not leave an idle instance protected for ever), and work that arrives while a clear is in
 * flight protects again after it. Real Auto Scaling adapter over aws-sdk-client-mock: moto cannot
 * throttle SetInstanceProtection or hold a call in flight on purpose.
 */
import { AutoScalingClient, SetInstanceProtectionCommand } from '@aws-sdk/client-auto-scaling';
import { mockClient } from 'aws-sdk-client-mock';
import { AutoScalingInstanceControl } from '../../../worker-runtime/src/adapters/aws/auto-scaling-instance-control';
import { silentLogger } from '../../../worker-runtime/src/core/logger';
import { ScaleInProtection } from '../../../worker-runtime/src/core/scale-in-protection';

const cfg = { region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 };

function setup() {
  const client = new AutoScalingClient(cfg);
  const asg = mockClient(client);
  const calls: boolean[] = [];
  const control = new AutoScalingInstanceControl(client, 'asg', 'i-1');
  return { asg, calls, control };
}

async function until(what: string, fn: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a throttled clear is retried until the idle instance is unprotected', async () => {
  const { asg, calls, control } = setup();
  let clears = 0;
  asg.on(SetInstanceProtectionCommand).callsFake(async (input: { ProtectedFromScaleIn: boolean }) => {
    calls.push(input.ProtectedFromScaleIn);
    if (!input.ProtectedFromScaleIn && ++clears <= 2) throw Object.assign(new Error('Rate exceeded'), { name: 'Throttling' });
    return {};
  });
  const p = new ScaleInProtection(control, 0, silentLogger, undefined, 50);
  await p.busy();
  p.idle();
  await until('three clears (two throttled)', () => clears === 3);
  await until('unprotected', () => !p.isProtected);
  expect(calls).toEqual([true, false, false, false]);
});

test('work that arrives while a clear is in flight is protected again after it', async () => {
  const { asg, calls, control } = setup();
  let releaseClear!: () => void;
  asg.on(SetInstanceProtectionCommand).callsFake(async (input: { ProtectedFromScaleIn: boolean }) => {
    calls.push(input.ProtectedFromScaleIn);
    if (!input.ProtectedFromScaleIn) await new Promise<void>((r) => { releaseClear = r; });
    return {};
  });
  const p = new ScaleInProtection(control, 0, silentLogger);
  await p.busy();
  p.idle();
  await until('the clear in flight', () => calls.length === 2);
  const busy = p.busy(); // a message arrives now
  releaseClear();
  await busy;
  expect(calls).toEqual([true, false, true]);
  expect(p.isProtected).toBe(true);
});
