/**
 * What the drain scenarios share: the worker's environment against moto and the metadata
 * mock, a batch of uploads where some jobs fit before the deadline and some cannot, and the
 * checks that nothing was lost.
 */
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { MotoFleet, eventKeys } from './moto-fleet';
import { motoEnv } from '../../support/peers';

/** Jobs that fit: they take this long, well inside every deadline used here. */
export const FAST_JOB_SECONDS = 8;
export const FAST_KEYS = ['uploads/drain/fast 1.jpg', 'uploads/drain/fast+2.jpg'];
/** Jobs that cannot fit: they would run for two minutes. */
export const SLOW_KEYS = ['uploads/drain/slow-1.jpg', 'uploads/drain/nested/slow-2.jpg'];
export const LATE_KEY = 'uploads/drain/late.jpg';

/**
 * The command handler (a real handler of the runtime): slow keys sleep for two minutes
 * (`exec`, so aborting the job stops the sleep), others take FAST_JOB_SECONDS and copy
 * their input to the output.
 */
const COMMAND = `case "$SPOT_WORKER_SOURCE_KEY" in *slow*) exec sleep 120 ;; esac; sleep ${FAST_JOB_SECONDS}; cp "$SPOT_WORKER_INPUT_FILE" "$SPOT_WORKER_OUTPUT_FILE"`;

export function workerEnv(fleet: MotoFleet, motoEndpoint: string, imdsEndpoint: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...motoEnv(motoEndpoint),
    AWS_EC2_METADATA_SERVICE_ENDPOINT: imdsEndpoint,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    SPOT_WORKER_QUEUE_URL: fleet.queueUrl,
    SPOT_WORKER_DLQ_URL: fleet.dlqUrl,
    SPOT_WORKER_HANDLER: 'command',
    SPOT_WORKER_HANDLER_COMMAND: COMMAND,
    SPOT_WORKER_CONCURRENCY: '4',
    SPOT_WORKER_ASG_NAME: fleet.groupName,
    // moto's instance, which the protection calls must name (the mock's id is a fixed fake).
    SPOT_WORKER_INSTANCE_ID: fleet.instanceId,
    SPOT_WORKER_IMDS_POLL_SECONDS: '1',
    // Long, so protection is still on when the notice arrives and only the drain clears it.
    SPOT_WORKER_IDLE_GRACE_SECONDS: '600',
    SPOT_WORKER_METRICS: 'none',
    SPOT_WORKER_LOG_LEVEL: 'info',
    ...extra,
  };
}

export async function uploadBatch(fleet: MotoFleet, keys: string[]): Promise<void> {
  for (const key of keys) await fleet.upload(key, new TextEncoder().encode(`content of ${key}`));
}

export async function outputKeys(fleet: MotoFleet): Promise<string[]> {
  const res = await fleet.s3.send(new ListObjectsV2Command({ Bucket: fleet.bucket, Prefix: 'processed/' }));
  return (res.Contents ?? []).map((o) => o.Key!).sort();
}

export async function outputBody(fleet: MotoFleet, key: string): Promise<string> {
  const res = await fleet.s3.send(new GetObjectCommand({ Bucket: fleet.bucket, Key: key }));
  return res.Body!.transformToString();
}

export function outputKeyFor(key: string): string {
  return `processed/${key.slice('uploads/'.length)}.out`;
}

/**
 * Another consumer's view after the worker is gone: every message still in the queue is
 * received at once (released ones have visibility 0; the queue's own timeout is 120 s), with
 * its receive count. Loops a few short polls because SQS returns partial batches.
 */
export async function receiveAll(fleet: MotoFleet, expected: number): Promise<Array<{ keys: string[]; receiveCount: number }>> {
  const got: Array<{ keys: string[]; receiveCount: number }> = [];
  for (let i = 0; i < 5 && got.length < expected; i++) {
    for (const m of await fleet.receive(fleet.queueUrl, 1, 60)) {
      got.push({ keys: eventKeys(m.Body), receiveCount: Number(m.Attributes?.ApproximateReceiveCount) });
    }
  }
  return got;
}

/** One line of the worker's JSON log. */
export interface LogLine { time: string; level: string; msg: string; [k: string]: unknown }

/**
 * The outcome every drain must have: the jobs that fit finished during the drain with their
 * outputs written; the rest, and an upload that arrived after the notice, are back in the
 * queue for another consumer at once; nothing dead-lettered; protection cleared.
 */
export async function expectDrainedWithNothingLost(fleetUnderTest: MotoFleet, logs: LogLine[], draining: LogLine) {
  // The jobs that fit finished during the drain and their outputs were written.
  const processed = logs.filter((l) => l.msg === 'object processed');
  expect(processed.map((l) => l.key).sort()).toEqual([...FAST_KEYS].sort());
  for (const l of processed) expect(Date.parse(l.time)).toBeGreaterThanOrEqual(Date.parse(draining.time));
  expect(await outputKeys(fleetUnderTest)).toEqual(FAST_KEYS.map(outputKeyFor).sort());
  for (const key of FAST_KEYS) expect(await outputBody(fleetUnderTest, outputKeyFor(key))).toBe(`content of ${key}`);

  // The rest were released: another consumer gets them at once (the queue's visibility
  // timeout is 120 s), together with the upload that arrived after the notice.
  const again = await receiveAll(fleetUnderTest, 3);
  expect(again.flatMap((m) => m.keys).sort()).toEqual([...SLOW_KEYS, LATE_KEY].sort());
  for (const m of again) expect(m.receiveCount).toBe(m.keys[0] === LATE_KEY ? 1 : 2);

  // Nothing else anywhere: fast messages deleted, nothing dead-lettered.
  expect(await fleetUnderTest.counts(fleetUnderTest.queueUrl)).toEqual({ visible: 0, inFlight: 3 });
  expect(await fleetUnderTest.counts(fleetUnderTest.dlqUrl)).toEqual({ visible: 0, inFlight: 0 });
  // Protection cleared for the group to scale in.
  expect(await fleetUnderTest.protectedFromScaleIn()).toBe(false);
  // Logs never carry receipt handles.
  expect(JSON.stringify(logs)).not.toMatch(/receipt/i);
}
