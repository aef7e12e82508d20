import { MalformedEventError } from '../../../worker-runtime/src/core/errors';
import { decodeS3Key, parseS3Event } from '../../../worker-runtime/src/core/s3-event';

function event(records: unknown[]): string {
  return JSON.stringify({ Records: records });
}

function created(key: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    eventName: 'ObjectCreated:Put',
    s3: { bucket: { name: 'bkt' }, object: { key, size: 12, eTag: 'abc', sequencer: '01', ...extra } },
  };
}

describe('decodeS3Key', () => {
  test.each([
    ['uploads/My+Photos/a+b.jpg', 'uploads/My Photos/a b.jpg'],
    ['uploads/c%2Bd.jpg', 'uploads/c+d.jpg'],
    ['uploads/%C3%A9t%C3%A9/caf%C3%A9.JPG', 'uploads/été/café.JPG'],
    ['uploads/100%25.jpeg', 'uploads/100%.jpeg'],
    ['uploads/a%2B+%2B.jpg', 'uploads/a+ +.jpg'],
    ['uploads/x.photo.jpg', 'uploads/x.photo.jpg'],
  ])('%s → %s', (raw, decoded) => {
    expect(decodeS3Key(raw)).toBe(decoded);
  });

  test('invalid percent-encoding is a malformed event', () => {
    expect(() => decodeS3Key('uploads/%E0%A4%A.jpg')).toThrow(MalformedEventError);
  });
});

describe('parseS3Event', () => {
  test('every record of a multi-record event is returned, decoded, with its metadata', () => {
    const parsed = parseS3Event(event([created('uploads/a+b.jpg', { versionId: 'v1' }), created('uploads/c.jpg')]));
    expect(parsed.testEvent).toBe(false);
    expect(parsed.records).toEqual([
      { bucket: 'bkt', key: 'uploads/a b.jpg', eventName: 'ObjectCreated:Put', size: 12, etag: 'abc', versionId: 'v1', sequencer: '01' },
      { bucket: 'bkt', key: 'uploads/c.jpg', eventName: 'ObjectCreated:Put', size: 12, etag: 'abc', versionId: undefined, sequencer: '01' },
    ]);
  });

  test('s3:TestEvent is acknowledged without records', () => {
    const body = JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Time: '2026-01-01T00:00:00Z', Bucket: 'bkt' });
    const parsed = parseS3Event(body);
    expect(parsed).toEqual({ records: [], skipped: [], testEvent: true });
  });

  test('non-ObjectCreated records are skipped, not failed', () => {
    const parsed = parseS3Event(event([{ ...created('uploads/a.jpg'), eventName: 'ObjectRemoved:Delete' }, created('uploads/b.jpg')]));
    expect(parsed.records.map((r) => r.key)).toEqual(['uploads/b.jpg']);
    expect(parsed.skipped).toEqual(['ObjectRemoved:Delete']);
  });

  test('an SNS envelope is unwrapped', () => {
    const parsed = parseS3Event(JSON.stringify({ Type: 'Notification', Message: event([created('uploads/x.jpg')]) }));
    expect(parsed.records[0].key).toBe('uploads/x.jpg');
  });

  test.each([
    ['empty body', ''],
    ['not JSON', 'hello'],
    ['a JSON array', '[]'],
    ['a JSON string', '"x"'],
    ['null', 'null'],
    ['no Records', '{"foo":1}'],
    ['Records not an array', '{"Records":{}}'],
    ['empty Records', '{"Records":[]}'],
    ['record not an object', '{"Records":[1]}'],
    ['record without eventName', '{"Records":[{"s3":{}}]}'],
    ['ObjectCreated without s3', '{"Records":[{"eventName":"ObjectCreated:Put"}]}'],
    ['key missing', JSON.stringify({ Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'b' }, object: {} } }] })],
    ['bucket empty', JSON.stringify({ Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: '' }, object: { key: 'k' } } }] })],
    ['key not a string', JSON.stringify({ Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'b' }, object: { key: 5 } } }] })],
  ])('%s → MalformedEventError (kind malformed-event)', (_name, body) => {
    let caught: unknown;
    try { parseS3Event(body); } catch (e) { caught = e; }
    expect(caught).toBeInstanceOf(MalformedEventError);
    expect((caught as MalformedEventError).kind).toBe('malformed-event');
  });

  describe('fuzzed bodies', () => {
    // A small deterministic PRNG (Park–Miller) so a failure is reproducible from the seed.
    function rng(seed: number): () => number {
      let a = seed % 2147483647 || 1;
      return () => {
        a = (a * 48271) % 2147483647;
        return (a - 1) / 2147483646;
      };
    }
    const valid = event([created('uploads/My+Photos/%C3%A9t%C3%A9.jpg'), created('uploads/b.jpg')]);
    const alphabet = ['{', '}', '[', ']', '"', ':', ',', '%', '+', '\\', 'Records', 'eventName', 'ObjectCreated:Put', 's3', 'key', 'null', '0', '%ZZ', '\u0000', 'é'];

    function mutate(r: () => number, s: string): string {
      const ops = 1 + Math.floor(r() * 4);
      let out = s;
      for (let i = 0; i < ops; i++) {
        const pos = Math.floor(r() * (out.length + 1));
        const op = Math.floor(r() * 4);
        if (op === 0) out = out.slice(0, pos) + out.slice(pos + 1 + Math.floor(r() * 8));
        else if (op === 1) out = out.slice(0, pos) + alphabet[Math.floor(r() * alphabet.length)] + out.slice(pos);
        else if (op === 2) out = out.slice(0, pos);
        else out = out.slice(0, pos) + String.fromCharCode(Math.floor(r() * 0x3000)) + out.slice(pos + 1);
      }
      return out;
    }

    function structural(r: () => number, depth = 0): unknown {
      const pick = Math.floor(r() * (depth > 3 ? 5 : 8));
      switch (pick) {
        case 0: return null;
        case 1: return Math.floor(r() * 100);
        case 2: return ['ObjectCreated:Put', 'ObjectRemoved:Delete', '%E0', 'uploads/a+b.jpg', ''][Math.floor(r() * 5)];
        case 3: return r() < 0.5;
        case 4: return [];
        case 5: return [structural(r, depth + 1), structural(r, depth + 1)];
        case 6: return { eventName: structural(r, depth + 1), s3: structural(r, depth + 1) };
        default: return {
          bucket: { name: structural(r, depth + 1) },
          object: { key: structural(r, depth + 1), size: structural(r, depth + 1) },
          Records: [structural(r, depth + 1)],
        };
      }
    }

    test('2000 mutated and random bodies: parse or throw MalformedEventError, never anything else', () => {
      const r = rng(20261123);
      let parsedCount = 0;
      let malformed = 0;
      for (let i = 0; i < 2000; i++) {
        const body = i % 2 === 0 ? mutate(r, valid) : JSON.stringify(i % 4 === 1 ? { Records: [structural(r)] } : structural(r));
        try {
          const p = parseS3Event(body);
          parsedCount += 1;
          for (const rec of p.records) {
            expect(typeof rec.key).toBe('string');
            expect(rec.key.length).toBeGreaterThan(0);
            expect(typeof rec.bucket).toBe('string');
          }
        } catch (e) {
          if (!(e instanceof MalformedEventError)) throw new Error(`seed input ${i} threw ${String(e)} for ${JSON.stringify(body).slice(0, 300)}`);
          malformed += 1;
        }
      }
      // Both branches were exercised, so the generator is not trivially producing one kind.
      expect(parsedCount).toBeGreaterThan(50);
      expect(malformed).toBeGreaterThan(50);
    });
  });
});
