/**
 * The early idle leave (worker-runtime/src/core/arrival-spacing.ts, idle-release.ts) against moto
 * server: `spot-worker run` in an Auto Scaling group reads SQS's SentTimestamp of the uploads it
 * converts. One upload after a quiet spell: it leaves as soon as it is idle with the queue empty
 * (rule `sparse-arrivals`), not after the full idle period. Uploads close together: it waits the
 * full period (rule `idle-period`). With SPOT_WORKER_IDLE_RELEASE_EARLY=false it always waits.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import {
  createGroup, createWorld, ensureRuntimeCompiled, head, RunningWorker, startWorker, stopWorker, upload, waitUntil, World,
} from './moto-world';
import { describeWithPeers, RunningPeer, startMoto } from '../../support/peers';

jest.setTimeout(150_000);

const JPEG = new Uint8Array(fs.readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'images', 'imdoc_images_wizard.jpg')));
const LEFT = 'idle release: left the group, desired capacity decremented';
/** Long enough that an early leave (5 s idle) and a full-period leave are told apart by the log's rule. */
const IDLE_RELEASE_SECONDS = 20;

describeWithPeers(['MOTO_SERVER_BIN'], 'early idle leave against moto server', () => {
  let moto: RunningPeer;
  const workers: RunningWorker[] = [];

  beforeAll(async () => {
    ensureRuntimeCompiled();
    moto = await startMoto();
  });

  afterAll(async () => {
    for (const w of workers) await stopWorker(w, 'SIGKILL');
    await moto?.stop();
  });

  /** A world, a one-instance group and an empty queue (the notification set-up leaves an s3:TestEvent). */
  async function scenario(name: string): Promise<{ world: World; group: { groupName: string; instanceId: string } }> {
    const world = await createWorld(moto.endpoint, name, 30);
    const group = await createGroup(moto.endpoint, `${name}-asg`);
    const setup = await world.sqs.send(new ReceiveMessageCommand({ QueueUrl: world.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    for (const m of setup.Messages ?? []) {
      await world.sqs.send(new DeleteMessageCommand({ QueueUrl: world.queueUrl, ReceiptHandle: m.ReceiptHandle! }));
    }
    return { world, group };
  }

  async function runUntilLeft(
    name: string, uploads: string[], env: Record<string, string> = {},
  ): Promise<{ leave: Record<string, unknown>; desired: number }> {
    const { world, group } = await scenario(name);
    // The uploads come first, as after a wake: the worker starts with them waiting in the queue.
    for (const key of uploads) await upload(world, key, JPEG);
    const w = startWorker(moto.endpoint, world, {
      SPOT_WORKER_ASG_NAME: group.groupName,
      SPOT_WORKER_INSTANCE_ID: group.instanceId,
      SPOT_WORKER_IDLE_RELEASE_SECONDS: String(IDLE_RELEASE_SECONDS),
      SPOT_WORKER_RECEIVE_WAIT_SECONDS: '1',
      ...env,
    });
    workers.push(w);
    const leave = await waitUntil('the worker left its group', async () => w.logs.find((l) => l.msg === LEFT), 90_000);
    for (const key of uploads) expect(await head(world, `${key.replace(/^uploads\//, 'processed/')}.pdf`)).toBeDefined();
    const g = (await world.asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [group.groupName] }))).AutoScalingGroups![0];
    await stopWorker(w);
    return { leave, desired: g.DesiredCapacity! };
  }

  test('one upload after a quiet spell: the worker converts it and leaves early, with a decrement', async () => {
    const { leave, desired } = await runUntilLeft('early-one', ['uploads/one.jpg']);
    expect(leave).toMatchObject({ rule: 'sparse-arrivals', messages: 1 });
    expect(leave.idleSeconds as number).toBeLessThan(IDLE_RELEASE_SECONDS);
    expect(desired).toBe(0);
  });

  test('uploads close together (SentTimestamps under the idle period apart): the worker waits the full idle period', async () => {
    const { leave, desired } = await runUntilLeft('early-dense', ['uploads/a.jpg', 'uploads/b.jpg', 'uploads/c.jpg']);
    expect(leave).toMatchObject({ rule: 'idle-period', messages: 3 });
    expect(leave.meanArrivalGapSeconds as number).toBeLessThan(IDLE_RELEASE_SECONDS);
    expect(leave.idleSeconds as number).toBeGreaterThanOrEqual(IDLE_RELEASE_SECONDS);
    expect(desired).toBe(0);
  });

  test('SPOT_WORKER_IDLE_RELEASE_EARLY=false: even after one upload the worker waits the full idle period', async () => {
    const { leave } = await runUntilLeft('early-off', ['uploads/off.jpg'], { SPOT_WORKER_IDLE_RELEASE_EARLY: 'false' });
    expect(leave).toMatchObject({ rule: 'idle-period', messages: 1 });
    expect(leave.idleSeconds as number).toBeGreaterThanOrEqual(IDLE_RELEASE_SECONDS);
  });
});
