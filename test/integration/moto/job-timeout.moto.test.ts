/**
 * The per-job timeout against moto server (SQS with a redrive policy, S3, an Auto Scaling group),
 * with the Worker built from the runtime's own configuration (`SPOT_WORKER_JOB_TIMEOUT_SECONDS`):
 * a handler that never returns, and ignores its abort signal, must not keep its slot, its
 * message, or the instance's scale-in protection.
 */
import { createGroup, createWorld, head, isProtected, peekDeadLetters, queueCounts, upload, waitUntil } from './moto-world';
import { AwsAdapters, createAwsAdapters } from '../../../worker-runtime/src/adapters/aws/aws-adapters';
import { FailureKind } from '../../../worker-runtime/src/contract/failure-kinds';
import { buildWorker } from '../../../worker-runtime/src/core/build-worker';
import { loadRunConfig } from '../../../worker-runtime/src/core/config';
import type { Handler } from '../../../worker-runtime/src/core/handler';
import { createJsonLogger, silentLogger } from '../../../worker-runtime/src/core/logger';
import type { Worker } from '../../../worker-runtime/src/core/worker';
import { describeWithPeers, RunningPeer, startMoto } from '../../support/peers';
import { setProcessEnv } from '../../support/process-env';

jest.setTimeout(120_000);

describeWithPeers(['MOTO_SERVER_BIN'], 'Per-job timeout against moto server', () => {
  let moto: RunningPeer;
  let restoreEnv: (() => void) | undefined;
  const cleanups: Array<() => Promise<void> | void> = [];

  beforeAll(async () => {
    moto = await startMoto();
    restoreEnv = setProcessEnv({ AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_ENDPOINT_URL: moto.endpoint });
  });

  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });

  afterAll(async () => {
    restoreEnv?.();
    await moto?.stop();
  });

  test('a handler that never returns and ignores its signal is timed out: its slot serves the next upload, its message is '
    + 'retried with backoff, then dead-lettered as timed-out on the last receive, and protection is cleared', async () => {
    // Visibility 60 s: the second receive can only come that soon through the retry delay.
    const world = await createWorld(moto.endpoint, 'jobtimeout', 60, false, 2);
    const group = await createGroup(moto.endpoint, 'jobtimeout-asg');
    const config = loadRunConfig({
      SPOT_WORKER_QUEUE_URL: world.queueUrl,
      SPOT_WORKER_DLQ_URL: world.dlqUrl,
      SPOT_WORKER_IMDS_POLL_SECONDS: '0',
      SPOT_WORKER_METRICS: 'none',
      SPOT_WORKER_ASG_NAME: group.groupName,
      SPOT_WORKER_INSTANCE_ID: group.instanceId,
      SPOT_WORKER_JOB_TIMEOUT_SECONDS: '2',
      // One slot: the next upload is served only if the hung job gives its slot back.
      SPOT_WORKER_CONCURRENCY: '1',
      SPOT_WORKER_PREFETCH: '0',
      SPOT_WORKER_RECEIVE_WAIT_SECONDS: '1',
      SPOT_WORKER_IDLE_GRACE_SECONDS: '0',
      SPOT_WORKER_RETRY_BASE_SECONDS: '1',
      SPOT_WORKER_RETRY_MAX_SECONDS: '1',
    });
    expect(config.jobTimeoutSeconds).toBe(2);
    const adapters: AwsAdapters = await createAwsAdapters(config, silentLogger);
    cleanups.push(() => adapters.close());

    const hungCalls: AbortSignal[] = [];
    const handler: Handler = {
      name: 'hang-or-copy',
      handle: (input, ctx) => {
        if (input.key.includes('hang')) {
          hungCalls.push(ctx.signal);
          return new Promise(() => undefined); // never settles, never looks at the signal
        }
        return Promise.resolve({ body: new Uint8Array(input.body), contentType: 'text/plain', extension: '.copy' });
      },
    };
    const w: Worker = buildWorker(config, {
      ...adapters,
      handler,
      logger: process.env.DEBUG_WORKER ? createJsonLogger({ level: 'debug' }) : silentLogger,
    });
    cleanups.push(async () => { await w.drain(); });
    const timedOut: Array<{ receiveCount: number; action: string; seconds: number }> = [];
    const retries: number[] = [];
    w.on('job_timed_out', (e) => timedOut.push(e));
    w.on('message_retry', (e) => retries.push(e.delaySeconds));

    await w.start();
    await upload(world, 'uploads/hang.jpg', Buffer.from('h'));
    await waitUntil('hung job running', async () => hungCalls.length === 1, 15_000);
    expect(await isProtected(world.asg, group.instanceId)).toBe(true);
    await upload(world, 'uploads/ok.jpg', Buffer.from('ok'));

    // The one slot was freed: the other upload is converted while the first handler still hangs.
    await waitUntil('ok.jpg converted', () => head(world, 'processed/ok.jpg.copy'), 20_000);
    const dead = await waitUntil('timed-out message in the DLQ', async () => {
      const m = await peekDeadLetters(world.sqs, world.dlqUrl, 1);
      return m.length > 0 ? m : undefined;
    }, 40_000);

    expect(timedOut).toEqual([
      { messageId: expect.any(String), receiveCount: 1, seconds: 2, action: 'retry' },
      { messageId: expect.any(String), receiveCount: 2, seconds: 2, action: 'dead-letter' },
    ]);
    expect(retries).toEqual([1]);
    // Both hung calls were told to stop, with the reason.
    expect(hungCalls).toHaveLength(2);
    for (const s of hungCalls) {
      expect(s.aborted).toBe(true);
      expect(String(s.reason)).toContain('timed out after 2 s');
    }
    // Dead-lettered by the runtime with the reason, not by the redrive without one.
    expect(dead).toHaveLength(1);
    const attrs = dead[0].MessageAttributes ?? {};
    expect(attrs.FailureKind?.StringValue).toBe(FailureKind.TIMED_OUT);
    expect(attrs.FailureReason?.StringValue).toBe('timed out after 2 s on receive 2 of 2');
    expect(attrs.SourceKey?.StringValue).toBe('uploads/hang.jpg');
    expect(await head(world, 'processed/hang.jpg.copy')).toBeUndefined();
    // Nothing left held: the queue is empty, the worker holds nothing, protection is off again.
    await waitUntil('work queue empty', async () => {
      const c = await queueCounts(world.sqs, world.queueUrl);
      return c.visible + c.inFlight === 0;
    }, 10_000);
    expect(w.stats).toMatchObject({ inFlight: 0, running: 0, deadLettered: 1 });
    await waitUntil('protection cleared', async () => !(await isProtected(world.asg, group.instanceId)), 10_000);
  });
});
