/**
 * Idle self-release (worker-runtime/src/core/idle-release.ts) against moto server: `spot-worker run`
 * in an Auto Scaling group, idle, ends its own instance with TerminateInstanceInAutoScalingGroup and
 * a decremented desired capacity, but only once the queue holds nothing visible or in flight.
 */
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import {
  createGroup, createWorld, ensureRuntimeCompiled, queueCounts, RunningWorker, startWorker, stopWorker, waitUntil,
} from './moto-world';
import { describeWithPeers, RunningPeer, startMoto } from '../../support/peers';

jest.setTimeout(120_000);

describeWithPeers(['MOTO_SERVER_BIN'], 'idle self-release against moto server', () => {
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

  test('an idle worker stays while a message is in flight elsewhere, then leaves its group with a decrement once the queue is empty', async () => {
    const world = await createWorld(moto.endpoint, 'idle', 30);
    const group = await createGroup(moto.endpoint, 'idle-asg');
    const groupState = async (): Promise<{ desired: number; instances: string[] }> => {
      const g = (await world.asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [group.groupName] }))).AutoScalingGroups![0];
      return { desired: g.DesiredCapacity!, instances: (g.Instances ?? []).map((i) => i.InstanceId!) };
    };
    // The bucket's notification set-up left an s3:TestEvent in the queue: start from an empty queue.
    const setup = await world.sqs.send(new ReceiveMessageCommand({ QueueUrl: world.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    for (const m of setup.Messages ?? []) {
      await world.sqs.send(new DeleteMessageCommand({ QueueUrl: world.queueUrl, ReceiptHandle: m.ReceiptHandle! }));
    }
    // A message held by another consumer (another instance's job): not visible, but the queue is not empty.
    await world.sqs.send(new SendMessageCommand({ QueueUrl: world.queueUrl, MessageBody: '{"Records":[]}' }));
    const held = await world.sqs.send(new ReceiveMessageCommand({
      QueueUrl: world.queueUrl, MaxNumberOfMessages: 1, VisibilityTimeout: 600, WaitTimeSeconds: 1,
    }));
    expect(held.Messages).toHaveLength(1);
    expect(await queueCounts(world.sqs, world.queueUrl)).toEqual({ visible: 0, inFlight: 1 });

    const w = startWorker(moto.endpoint, world, {
      SPOT_WORKER_ASG_NAME: group.groupName,
      SPOT_WORKER_INSTANCE_ID: group.instanceId,
      SPOT_WORKER_IDLE_RELEASE_SECONDS: '2',
      SPOT_WORKER_RECEIVE_WAIT_SECONDS: '1',
    });
    workers.push(w);
    const deferrals = (): Array<Record<string, unknown>> => w.logs.filter((l) => l.msg === 'idle release deferred: the queue is not empty');
    // Two full idle periods with the message in flight: the worker asks the queue and stays.
    await waitUntil('two deferred releases', async () => deferrals().length >= 2, 60_000);
    expect(deferrals()[0]).toMatchObject({ visible: 0, notVisible: 1 });
    expect(await groupState()).toEqual({ desired: 1, instances: [group.instanceId] });
    expect(w.logs.some((l) => l.msg === 'idle release: left the group, desired capacity decremented')).toBe(false);

    // The other consumer finishes: the queue is empty, and the next idle period ends the instance.
    await world.sqs.send(new DeleteMessageCommand({ QueueUrl: world.queueUrl, ReceiptHandle: held.Messages![0].ReceiptHandle! }));
    await waitUntil('the worker left', async () => w.logs.some((l) => l.msg === 'idle release: left the group, desired capacity decremented'), 60_000);
    const after = await waitUntil('the group without the instance', async () => {
      const s = await groupState();
      return s.instances.includes(group.instanceId) ? undefined : s;
    }, 30_000);
    // Decremented: the group does not launch a replacement.
    expect(after).toEqual({ desired: 0, instances: [] });
    await stopWorker(w);
  });
});
