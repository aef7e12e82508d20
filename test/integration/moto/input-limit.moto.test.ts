/**
 * Issue 11, item 8 (first part): an input over the configured maximum is refused before it is
 * downloaded even when the event carries no size — by the length S3 reports for the object, and
 * failing that, by stopping the read once it passes the limit. Against moto server.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createWorld } from './moto-world';
import { createAwsAdapters } from '../../../worker-runtime/src/adapters/aws/aws-adapters';
import type { AwsAdapters } from '../../../worker-runtime/src/adapters/aws/aws-adapters';
import { loadRunConfig } from '../../../worker-runtime/src/core/config';
import { TooLargeError } from '../../../worker-runtime/src/core/errors';
import type { Handler } from '../../../worker-runtime/src/core/handler';
import { runJob } from '../../../worker-runtime/src/core/job';
import { KeyMapper } from '../../../worker-runtime/src/core/key-mapping';
import { silentLogger } from '../../../worker-runtime/src/core/logger';
import { describeWithPeers, motoEnv, RunningPeer, startMoto } from '../../support/peers';
import { setProcessEnv } from '../../support/process-env';

const LIMIT = 1024 * 1024;

describeWithPeers(['MOTO_SERVER_BIN'], 'input size limit without a size in the event (moto server)', () => {
  let moto: RunningPeer;
  let adapters: AwsAdapters;
  let restoreEnv: (() => void) | undefined;
  beforeAll(async () => {
    moto = await startMoto();
    restoreEnv = setProcessEnv(motoEnv(moto.endpoint));
    adapters = await createAwsAdapters(loadRunConfig({
      SPOT_WORKER_QUEUE_URL: 'http://127.0.0.1/1/q', SPOT_WORKER_DLQ_URL: 'http://127.0.0.1/1/d', SPOT_WORKER_IMDS_POLL_SECONDS: '0',
    }), silentLogger);
  });
  afterAll(async () => {
    adapters?.close();
    restoreEnv?.();
    await moto?.stop();
  });

  test('an event without a size: the 3 MiB object is refused as too-large by its reported length, the handler never called', async () => {
    const w = await createWorld(moto.endpoint, 'limit', 30);
    await w.s3.send(new PutObjectCommand({ Bucket: w.bucket, Key: 'uploads/big.jpg', Body: Buffer.alloc(3 * LIMIT, 1) }));
    let called = false;
    const handler: Handler = { name: 'h', async handle() { called = true; throw new Error('must not run'); } };
    const body = JSON.stringify({ Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: w.bucket }, object: { key: 'uploads/big.jpg' } } }] });
    const outcome = await runJob({ messageId: 'm', receiptHandle: 'rh', body, receiveCount: 1 },
      { store: adapters.store, handler, keys: new KeyMapper({ inputPrefix: 'uploads/', outputPrefix: 'processed/' }), maxInputBytes: LIMIT },
      new AbortController().signal);
    expect(called).toBe(false);
    expect(outcome.action).toBe('dead-letter');
    if (outcome.action === 'dead-letter') {
      expect(outcome.reason.kind).toBe('too-large');
      expect(outcome.reason.message).toBe(`object is ${3 * LIMIT} bytes, over the limit of ${LIMIT}`);
    }
  });

  test('within the limit the object is read whole, byte for byte', async () => {
    const w = await createWorld(moto.endpoint, 'limit-ok', 30);
    const data = Buffer.alloc(LIMIT, 7);
    data[LIMIT - 1] = 9;
    await w.s3.send(new PutObjectCommand({ Bucket: w.bucket, Key: 'uploads/ok.jpg', Body: data }));
    const obj = await adapters.store.getObject(w.bucket, 'uploads/ok.jpg', undefined, { maxBytes: LIMIT });
    expect(Buffer.compare(obj.body, data)).toBe(0);
    await expect(adapters.store.getObject(w.bucket, 'uploads/ok.jpg', undefined, { maxBytes: LIMIT - 1 })).rejects.toBeInstanceOf(TooLargeError);
  });
});
