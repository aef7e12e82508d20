/**
 * Issue 11, item 9: a message reaches the DLQ once even when the delete after the DLQ send is
 * refused (the delete is tried again while the receipt handle is still ours); when every delete
 * is refused the bound is one copy per receive, so at most maxReceiveCount copies, all naming
 * the same OriginalMessageId. Real SQS adapter over aws-sdk-client-mock: moto cannot be made to
 * refuse a delete of a valid receipt handle, so this fault has no peer.
 */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  ChangeMessageVisibilityCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { S3ObjectStore } from '../../../worker-runtime/src/adapters/aws/s3-object-store';
import { SqsWorkQueue } from '../../../worker-runtime/src/adapters/aws/sqs-work-queue';
import { PermanentError } from '../../../worker-runtime/src/core/errors';
import type { Handler } from '../../../worker-runtime/src/core/handler';
import { Worker } from '../../../worker-runtime/src/core/worker';

const QUEUE = 'https://sqs.us-east-1.amazonaws.com/123456789012/jobs';
const DLQ = 'https://sqs.us-east-1.amazonaws.com/123456789012/jobs-dlq';
const cfg = { region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } };
/** The queue's visibility timeout: an undeleted message is received again after it. */
const VISIBILITY_S = 5;
const BODY = JSON.stringify({ Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'bkt' }, object: { key: 'uploads/bad.jpg', size: 3 } } }] });

const rejecting: Handler = { name: 'rejecting', async handle() { throw new PermanentError('not-an-image', 'never an image'); } };

/**
 * One message in a queue that behaves like SQS for it: received again VISIBILITY_S after each
 * receive until deleted, at most `maxReceives` times (then the redrive policy would take it).
 */
function queueWithOneMessage(sqsClient: SQSClient, refuseDeletes: (n: number) => boolean, maxReceives: number) {
  const sqs = mockClient(sqsClient);
  const state = { receives: 0, deleted: false, deleteCalls: 0, dlqCopies: [] as Array<Record<string, { StringValue?: string }>> };
  let visibleAt = 0;
  sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { VisibilityTimeout: String(VISIBILITY_S) } });
  sqs.on(ChangeMessageVisibilityCommand).resolves({});
  sqs.on(ReceiveMessageCommand).callsFake(async () => {
    if (!state.deleted && state.receives < maxReceives && Date.now() >= visibleAt) {
      state.receives += 1;
      visibleAt = Date.now() + VISIBILITY_S * 1000;
      return { Messages: [{ MessageId: 'm-1', ReceiptHandle: `rh-${state.receives}`, Body: BODY, Attributes: { ApproximateReceiveCount: String(state.receives) } }] };
    }
    await new Promise((r) => setTimeout(r, 100));
    return { Messages: [] };
  });
  sqs.on(SendMessageCommand).callsFake(async (input: { MessageAttributes: Record<string, { StringValue?: string }> }) => {
    state.dlqCopies.push(input.MessageAttributes);
    return { MessageId: `dlq-${state.dlqCopies.length}` };
  });
  sqs.on(DeleteMessageBatchCommand).callsFake(async (input: { Entries: Array<{ Id: string }> }) => {
    state.deleteCalls += 1;
    if (refuseDeletes(state.deleteCalls)) return { Failed: input.Entries.map((e) => ({ Id: e.Id, Code: 'InternalError', SenderFault: false, Message: 'try again' })) };
    state.deleted = true;
    return { Successful: input.Entries.map((e) => ({ Id: e.Id })) };
  });
  return { sqs, state };
}

function workerOn(sqsClient: SQSClient): Worker {
  const s3Client = new S3Client(cfg);
  mockClient(s3Client).on(GetObjectCommand).callsFake(async () => ({ Body: { transformToByteArray: async () => new Uint8Array(3) } as never }));
  return new Worker({
    queue: new SqsWorkQueue(sqsClient, QUEUE, DLQ),
    store: new S3ObjectStore(s3Client),
    handler: rejecting,
    concurrency: 1,
    waitTimeSeconds: 1,
    drainMarginSeconds: 1,
    deleteLingerMs: 0,
  });
}

async function until(what: string, fn: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a refused delete after the DLQ send is tried again: one DLQ copy, and the message deleted', async () => {
  const sqsClient = new SQSClient(cfg);
  const { state } = queueWithOneMessage(sqsClient, (n) => n === 1, 5);
  const w = workerOn(sqsClient);
  await w.start();
  try {
    await until('the message deleted', () => state.deleted, 20_000);
    // Past the visibility timeout: had the message stayed, it would be received and dead-lettered again.
    await new Promise((r) => setTimeout(r, (VISIBILITY_S + 1) * 1000));
  } finally {
    await w.drain();
  }
  expect(state.receives).toBe(1);
  expect(state.dlqCopies).toHaveLength(1);
  expect(state.dlqCopies[0].OriginalMessageId.StringValue).toBe('m-1');
});

test('when every delete is refused, at most one DLQ copy per receive (so at most maxReceiveCount), all with the same OriginalMessageId', async () => {
  const sqsClient = new SQSClient(cfg);
  const maxReceives = 2;
  const { state } = queueWithOneMessage(sqsClient, () => true, maxReceives);
  const w = workerOn(sqsClient);
  await w.start();
  try {
    await until('every receive settled', () => state.receives === maxReceives && state.dlqCopies.length === maxReceives, 30_000);
    await new Promise((r) => setTimeout(r, 3500)); // the last receive's delete attempts
  } finally {
    await w.drain();
  }
  expect(state.dlqCopies).toHaveLength(maxReceives);
  expect(new Set(state.dlqCopies.map((a) => a.OriginalMessageId.StringValue))).toEqual(new Set(['m-1']));
  expect(state.dlqCopies.map((a) => a.ReceiveCount.StringValue)).toEqual(['1', '2']);
  expect(state.deleted).toBe(false);
}, 60_000);
