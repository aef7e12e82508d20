/**
 * Item 1 of issue 11: whatever a handler throws (undefined, null, a string, a number, a plain
 * object, an Error) is a failure with a kind and a reason, never a TypeError inside the error
 * handling. The store is the real local bucket; only the handler is ours (it throws on purpose).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LocalBucket } from '../../../worker-runtime/src/adapters/local/local-bucket';
import type { Handler } from '../../../worker-runtime/src/core/handler';
import { runJob } from '../../../worker-runtime/src/core/job';
import { KeyMapper } from '../../../worker-runtime/src/core/key-mapping';

function event(key: string): string {
  return JSON.stringify({ Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'bkt' }, object: { key } } }] });
}

function throwing(value: unknown): Handler {
  return { name: 'thrower', async handle() { throw value; } };
}

describe('a handler may throw any value', () => {
  let dir: string;
  let bucket: LocalBucket;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'thrown-values-'));
    bucket = await new LocalBucket({ name: 'bkt', root: path.join(dir, 'bkt'), stateDir: path.join(dir, 'state') }).init();
    await bucket.putObject('bkt', 'uploads/a.jpg', Buffer.from('abc'), { contentType: 'image/jpeg', metadata: {} });
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const cases: Array<[string, unknown, string]> = [
    ['undefined', undefined, 'undefined'],
    ['null', null, 'null'],
    ['a string', 'disk on fire', 'disk on fire'],
    ['a number', 42, '42'],
    ['a plain object', { code: 'E_BUSY' }, '{"code":"E_BUSY"}'],
    ['an object with a kind but no Error', { kind: 'custom', message: 'not an Error' }, 'not an Error'],
  ];
  test.each(cases)('throwing %s gives a transient failure with a kind and a reason (retried, not a TypeError)', async (_label, value, reason) => {
    const outcome = await runJob(
      { messageId: 'm1', receiptHandle: 'rh', body: event('uploads/a.jpg'), receiveCount: 1 },
      { store: bucket, handler: throwing(value), keys: new KeyMapper({ inputPrefix: 'uploads/', outputPrefix: 'processed/' }) },
      new AbortController().signal,
    );
    expect(outcome.action).toBe('retry');
    // One record result: the Worker emits one record_done (log, metric) per entry of outcome.records.
    expect(outcome.records).toHaveLength(1);
    const r = outcome.records[0];
    expect(r.status).toBe('transient-failure');
    expect(typeof r.kind).toBe('string');
    expect(r.kind).not.toBe('');
    expect(r.reason).toContain(reason);
  });

  test('an Error marked permanent is dead-lettered with its own kind and reason', async () => {
    const err = Object.assign(new Error('cannot ever work'), { permanent: true, kind: 'custom-permanent' });
    const outcome = await runJob(
      { messageId: 'm1', receiptHandle: 'rh', body: event('uploads/a.jpg'), receiveCount: 1 },
      { store: bucket, handler: throwing(err), keys: new KeyMapper({ inputPrefix: 'uploads/', outputPrefix: 'processed/' }) },
      new AbortController().signal,
    );
    expect(outcome.action).toBe('dead-letter');
    if (outcome.action === 'dead-letter') expect(outcome.reason).toMatchObject({ kind: 'custom-permanent', message: 'cannot ever work', key: 'uploads/a.jpg' });
  });
});
