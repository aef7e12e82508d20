/**
 * The committed step times (bench/boot/boot-steps.json, written by the boot proof) stay readable by
 * the simulator and name the steps the user data has now: a renamed or added step makes this fail
 * until the proof is run again with BOOT_STEPS_WRITE=1.
 */
import * as fs from 'fs';
import { BOOT_STEPS_FILE, BootStepsV1 } from './boot-steps';
import { renderWorkerBootScript } from '../../../src/worker-user-data';

test('bench/boot/boot-steps.json is schema 1 and names the user data\'s steps in order', () => {
  const record = JSON.parse(fs.readFileSync(BOOT_STEPS_FILE, 'utf8')) as BootStepsV1;
  const script = renderWorkerBootScript({
    region: 'r',
    assetBucketOwner: '1',
    runtimeBundle: { bucket: 'b', key: 'k.zip', sha256: '0'.repeat(64) },
    osPackages: [],
    environment: {},
    lifecycleHookName: 'd',
    launchHookName: 'l',
    failureMetric: { namespace: 'n', metricName: 'm', dimensions: {} },
    stopTimeoutSeconds: 1,
  });
  const steps = [...script.matchAll(/^boot_step (\S+)$/gm)].map((m) => m[1]).filter((n) => n !== 'done');
  expect(record.schema).toBe(1);
  expect(record.steps.map((s) => s.name)).toEqual(steps);
  expect(record.steps.every((s) => Number.isFinite(s.seconds) && s.seconds >= 0)).toBe(true);
  expect(Number.isNaN(Date.parse(record.measuredAt))).toBe(false);
  expect(record.bootScriptSeconds).toBeGreaterThanOrEqual(0);
  expect(record.serviceToReadySeconds).toBeGreaterThanOrEqual(0);
});
