import * as fs from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { FileQueue, QueueAction } from '../../worker-runtime/src/adapters/local/file-queue';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('FileQueue: SQS semantics', () => {
  let dir: string;
  let dlq: FileQueue;
  let queue: FileQueue;
  const requests: QueueAction[] = [];

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(tmpdir(), 'file-queue-'));
    requests.length = 0;
    dlq = await new FileQueue({ dir: path.join(dir, 'dlq') }).init();
    queue = await new FileQueue({
      dir: path.join(dir, 'queue'), visibilityTimeoutSeconds: 1, maxReceiveCount: 3, deadLetterQueue: dlq, onRequest: (a) => requests.push(a),
    }).init();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('a received message is invisible for the visibility timeout, then comes back with a higher receive count', async () => {
    const id = await queue.send('hello');
    const [first] = await queue.receive({ maxMessages: 1, waitTimeSeconds: 0 });
    expect(first).toMatchObject({ messageId: id, body: 'hello', receiveCount: 1 });
    expect(await queue.receive({ maxMessages: 1, waitTimeSeconds: 0 })).toEqual([]);
    expect(await queue.stats()).toEqual({ visible: 0, inFlight: 1 });
    await sleep(1100);
    const [again] = await queue.receive({ maxMessages: 1, waitTimeSeconds: 0 });
    expect(again).toMatchObject({ messageId: id, receiveCount: 2 });
    expect(again.receiptHandle).not.toEqual(first.receiptHandle);
  });

  test('changeVisibility extends a message, releases it with 0, and refuses a stale handle', async () => {
    await queue.send('x');
    const [m] = await queue.receive({ maxMessages: 1, waitTimeSeconds: 0 });
    await queue.changeVisibility(m.receiptHandle, 3);
    await sleep(1200); // past the queue's 1 s timeout: still hidden thanks to the extension
    expect(await queue.receive({ maxMessages: 1, waitTimeSeconds: 0 })).toEqual([]);
    await queue.changeVisibility(m.receiptHandle, 0);
    const [again] = await queue.receive({ maxMessages: 1, waitTimeSeconds: 0 });
    expect(again.receiveCount).toBe(2);
    await expect(queue.changeVisibility(m.receiptHandle, 10)).rejects.toMatchObject({ code: 'MessageNotInflight' });
    await expect(queue.changeVisibility(again.receiptHandle, 43_201)).rejects.toMatchObject({ code: 'InvalidParameterValue' });
  });

  test('a receive does not stat again the messages it saw in flight; one released by another process is received again within a second', async () => {
    const slow = await new FileQueue({ dir: path.join(dir, 'busy'), visibilityTimeoutSeconds: 60 }).init();
    for (let i = 0; i < 40; i++) await slow.send(`m${i}`);
    const held = await slow.receive({ maxMessages: 10, waitTimeSeconds: 0 });
    const held2 = await slow.receive({ maxMessages: 10, waitTimeSeconds: 0 });
    expect(held2).toHaveLength(10);
    // The queue's stat calls are synchronous (fs.statSync cannot be spied on): a copy of the module
    // loaded with a counting statSync receives from the same folder, after seeing the same messages in flight.
    let stats = 0;
    let CountingQueue: typeof FileQueue | undefined;
    jest.isolateModules(() => {
      jest.doMock('fs', () => {
        const actual = jest.requireActual<typeof fs>('fs');
        return { ...actual, statSync: (...a: Parameters<typeof actual.statSync>) => { stats++; return actual.statSync(...a); } };
      });
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      CountingQueue = require('../../worker-runtime/src/adapters/local/file-queue').FileQueue;
    });
    const counting = await new CountingQueue!({ dir: path.join(dir, 'busy'), visibilityTimeoutSeconds: 60 }).init();
    await counting.receive({ maxMessages: 10, waitTimeSeconds: 0 });
    stats = 0;
    await counting.receive({ maxMessages: 10, waitTimeSeconds: 0 });
    // 30 messages in flight (20 held by the other queue object, 10 by this one, all seen on the first
    // receive), 10 visible: only the visible ones are looked at (10 received).
    expect(stats).toBe(10);
    // Another worker process gives one of the held messages back (visibility 0).
    const other = await new FileQueue({ dir: path.join(dir, 'busy'), visibilityTimeoutSeconds: 60 }).init();
    await other.changeVisibility(held[0].receiptHandle, 0);
    const until = Date.now() + 5000;
    let again: string[] = [];
    while (Date.now() < until && !again.includes(held[0].messageId)) {
      again = again.concat((await slow.receive({ maxMessages: 10, waitTimeSeconds: 0 })).map((m) => m.messageId));
      await sleep(100);
    }
    expect(again).toContain(held[0].messageId);
  });

  test("a long poll sees another process's send, though receives reuse their folder listing for a moment", async () => {
    const a = await new FileQueue({ dir: path.join(dir, 'shared') }).init();
    const b = await new FileQueue({ dir: path.join(dir, 'shared') }).init();
    expect(await a.receive({ maxMessages: 10, waitTimeSeconds: 0 })).toEqual([]);
    const polling = a.receive({ maxMessages: 10, waitTimeSeconds: 5 });
    await b.send('from b');
    // Within the poll's 5 s: the listing is reused for 100 ms only, the poll looks every 50 ms.
    expect((await polling).map((m) => m.body)).toEqual(['from b']);
  });

  test('batch delete removes current handles and reports stale ones without throwing', async () => {
    for (const b of ['a', 'b', 'c']) await queue.send(b);
    const got = await queue.receive({ maxMessages: 10, waitTimeSeconds: 0 });
    expect(got.map((m) => m.body)).toEqual(['a', 'b', 'c']);
    // 'c' is released and received again: its first handle is now stale.
    await queue.changeVisibility(got[2].receiptHandle, 0);
    const [c2] = await queue.receive({ maxMessages: 1, waitTimeSeconds: 0 });
    const res = await queue.deleteBatch([
      { id: '1', receiptHandle: got[0].receiptHandle },
      { id: '2', receiptHandle: got[1].receiptHandle },
      { id: '3', receiptHandle: got[2].receiptHandle },
      { id: '4', receiptHandle: 'not-a-handle' },
    ]);
    expect(res.failed.map((f) => [f.id, f.code])).toEqual([['3', 'ReceiptHandleIsInvalid'], ['4', 'ReceiptHandleIsInvalid']]);
    // The stale delete did not remove the message: its current holder still owns it.
    expect(await queue.stats()).toEqual({ visible: 0, inFlight: 1 });
    expect((await queue.deleteBatch([{ id: 'c', receiptHandle: c2.receiptHandle }])).failed).toEqual([]);
    expect(await queue.stats()).toEqual({ visible: 0, inFlight: 0 });
    await expect(queue.deleteBatch([])).rejects.toMatchObject({ code: 'TooManyEntriesInBatchRequest' });
  });

  test('redrive: after maxReceiveCount receives the message moves to the DLQ instead of being delivered', async () => {
    await queue.send('poison');
    for (let i = 1; i <= 3; i++) {
      const [m] = await queue.receive({ maxMessages: 1, waitTimeSeconds: 0 });
      expect(m.receiveCount).toBe(i);
      await queue.changeVisibility(m.receiptHandle, 0); // a crash-like failure: never deleted
    }
    expect(await queue.receive({ maxMessages: 1, waitTimeSeconds: 0 })).toEqual([]);
    const dead = await dlq.list();
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ body: 'poison', receiveCount: 3 });
    expect(await queue.stats()).toEqual({ visible: 0, inFlight: 0 });
  });

  test('sendToDeadLetter attaches the reason and is idempotent for the same message', async () => {
    await queue.send('{"Records":[]}');
    const [m] = await queue.receive({ maxMessages: 1, waitTimeSeconds: 0 });
    const reason = { kind: 'invalid-image', message: 'not a JPEG', bucket: 'b', key: 'uploads/x.jpg' };
    await queue.sendToDeadLetter(m, reason);
    await queue.sendToDeadLetter(m, reason); // a retry after a crash between send and delete
    const dead = await dlq.list();
    expect(dead).toHaveLength(1);
    expect(dead[0].attributes).toMatchObject({ FailureKind: 'invalid-image', FailureReason: 'not a JPEG', SourceKey: 'uploads/x.jpg', SourceBucket: 'b' });
  });

  test('long polling waits for a message sent meanwhile, and an abort ends the wait early', async () => {
    const started = Date.now();
    const pending = queue.receive({ maxMessages: 1, waitTimeSeconds: 5 });
    await sleep(300);
    await queue.send('late');
    const got = await pending;
    expect(got.map((m) => m.body)).toEqual(['late']);
    expect(Date.now() - started).toBeLessThan(4000);

    const ac = new AbortController();
    const waiting = queue.receive({ maxMessages: 1, waitTimeSeconds: 20, signal: ac.signal });
    setTimeout(() => ac.abort(), 200);
    expect(await waiting).toEqual([]);
  });

  test('batch receive returns at most maxMessages, oldest first, and counts one request per call', async () => {
    for (let i = 0; i < 12; i++) await queue.send(`m${i}`);
    requests.length = 0;
    const first = await queue.receive({ maxMessages: 10, waitTimeSeconds: 0 });
    expect(first.map((m) => m.body)).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`));
    const rest = await queue.receive({ maxMessages: 10, waitTimeSeconds: 0 });
    expect(rest.map((m) => m.body)).toEqual(['m10', 'm11']);
    expect(requests).toEqual(['ReceiveMessage', 'ReceiveMessage']);
    await expect(queue.receive({ maxMessages: 11, waitTimeSeconds: 0 })).rejects.toMatchObject({ code: 'InvalidParameterValue' });
  });

  test('a delayed message is invisible until its delay has passed', async () => {
    await queue.send('later', { delaySeconds: 1 });
    expect(await queue.receive({ maxMessages: 1, waitTimeSeconds: 0 })).toEqual([]);
    const got = await queue.receive({ maxMessages: 1, waitTimeSeconds: 2 });
    expect(got.map((m) => m.body)).toEqual(['later']);
  });
});
