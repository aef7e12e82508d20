import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { FileQueue } from '../../worker-runtime/src/adapters/local/file-queue';
import { LocalBucket } from '../../worker-runtime/src/adapters/local/local-bucket';
import { encodeS3EventKey } from '../../worker-runtime/src/adapters/local/s3-notification';
import { ObjectGoneError } from '../../worker-runtime/src/core/errors';
import { parseS3Event } from '../../worker-runtime/src/core/s3-event';

describe('local bucket: S3-shaped notifications', () => {
  test('keys are form-encoded as S3 does: space → +, + → %2B, / kept, UTF-8 percent-encoded', () => {
    expect(encodeS3EventKey('uploads/red flower.jpg')).toBe('uploads/red+flower.jpg');
    expect(encodeS3EventKey('uploads/a+b (1).jpg')).toBe('uploads/a%2Bb+%281%29.jpg');
    expect(encodeS3EventKey('uploads/été/x=1:2.jpg')).toBe('uploads/%C3%A9t%C3%A9/x%3D1%3A2.jpg');
  });

  describe('with a queue', () => {
    let dir: string;
    let queue: FileQueue;
    let bucket: LocalBucket;
    beforeEach(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'local-bucket-'));
      queue = await new FileQueue({ dir: path.join(dir, 'queue') }).init();
      bucket = await new LocalBucket({
        name: 'b',
        root: path.join(dir, 'objects'),
        stateDir: path.join(dir, 'state'),
        notification: { target: queue, prefix: 'uploads/' },
      }).init();
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    test('a put under the prefix raises one ObjectCreated:Put record with S3\'s fields; the runtime parser decodes the key back', async () => {
      const body = Buffer.from('jpeg bytes');
      await bucket.putObject('b', 'uploads/My Photos/a+b é.jpg', body, { contentType: 'image/jpeg', metadata: {} });
      const [m] = await queue.receive({ maxMessages: 1, waitTimeSeconds: 0 });
      const event = JSON.parse(m.body);
      expect(Object.keys(event)).toEqual(['Records']);
      const rec = event.Records[0];
      expect(rec).toMatchObject({
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'us-east-1',
        eventName: 'ObjectCreated:Put',
        s3: {
          s3SchemaVersion: '1.0',
          bucket: { name: 'b', arn: 'arn:aws:s3:::b' },
          object: { key: 'uploads/My+Photos/a%2Bb+%C3%A9.jpg', size: body.length, eTag: expect.stringMatching(/^[0-9a-f]{32}$/) },
        },
      });
      expect(rec.s3.object.sequencer).toMatch(/^[0-9A-F]{16,}$/);
      expect(new Date(rec.eventTime).toISOString()).toBe(rec.eventTime);
      expect(parseS3Event(m.body).records[0]).toMatchObject({ bucket: 'b', key: 'uploads/My Photos/a+b é.jpg', size: body.length });
      expect(readFileSync(path.join(dir, 'objects', 'uploads', 'My Photos', 'a+b é.jpg'))).toEqual(body);
    });

    test('sequencers grow; outputs and unsubscribed suffixes raise no event', async () => {
      await bucket.putObject('b', 'uploads/1.jpg', Buffer.from('1'), { contentType: 'image/jpeg', metadata: {} });
      await bucket.putObject('b', 'uploads/2.JPEG', Buffer.from('2'), { contentType: 'image/jpeg', metadata: {} });
      await bucket.putObject('b', 'uploads/notes.txt', Buffer.from('3'), { contentType: 'text/plain', metadata: {} });
      await bucket.putObject('b', 'processed/1.jpg.pdf', Buffer.from('%PDF'), { contentType: 'application/pdf', metadata: { 'source-key': 'uploads/1.jpg' } });
      const got = await queue.receive({ maxMessages: 10, waitTimeSeconds: 0 });
      const recs = got.map((m) => JSON.parse(m.body).Records[0].s3.object);
      expect(recs.map((o) => o.key)).toEqual(['uploads/1.jpg', 'uploads/2.JPEG']);
      expect(BigInt(`0x${recs[1].sequencer}`) > BigInt(`0x${recs[0].sequencer}`)).toBe(true);
      expect(await bucket.metadataOf('processed/1.jpg.pdf')).toEqual({ 'source-key': 'uploads/1.jpg' });
    });

    test('getObject of a missing key is ObjectGoneError (permanent); unsafe keys are refused', async () => {
      await expect(bucket.getObject('b', 'uploads/none.jpg')).rejects.toBeInstanceOf(ObjectGoneError);
      await expect(bucket.putObject('b', 'uploads/../x.jpg', Buffer.from(''), { contentType: 'image/jpeg', metadata: {} })).rejects.toThrow(/cannot be stored/);
      await expect(bucket.getObject('other', 'uploads/x.jpg')).rejects.toThrow(/one bucket/);
    });
  });
});
