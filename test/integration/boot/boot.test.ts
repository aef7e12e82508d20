/**
 * Issue 12, item 10, the boot proof: the user data of a synthesized fleet, executed unmodified as
 * cloud-init would (as root, in a stand-in instance made from Debian packages, docs/boot.md),
 * against the EC2 metadata mock as IMDS and moto as S3, SQS, Auto Scaling, CloudWatch and Logs.
 * The runtime bundle is the asset the template names, fetched from where the template says; the
 * fleet is synthesized with the x64 build of the bundle because this machine is x64.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { bootStepsRecord, writeBootSteps } from './boot-steps';
import { BootWorld, createBootWorld, journalText, runUserData, serviceLog } from './boot-world';
import { synthesizeFleet, SynthesizedFleet } from './template';
import { describeWithPeers } from '../../support/peers';
import { waitUntil } from '../aemm/support';

const ROOT = path.join(__dirname, '..', '..', '..');
const BUNDLE_X64 = path.join(ROOT, 'worker-runtime', 'dist', 'bundle-x64');

describeWithPeers(['BOOT_ROOTFS', 'NODE22_HOST_BIN', 'MOTO_SERVER_BIN', 'AEMM_BIN', 'RUNTIME_BUNDLE_X64'], 'boot proof: the synthesized user data boots a stand-in instance', () => {
  let fleet: SynthesizedFleet | undefined;
  let world: BootWorld | undefined;

  beforeAll(() => {
    fleet = synthesizeFleet({ runtimeBundlePath: BUNDLE_X64 });
  }, 120_000);

  afterAll(async () => {
    await world?.destroy();
    if (fleet) fs.rmSync(fleet.outdir, { recursive: true, force: true });
  }, 60_000);

  test('runs every step, starts the worker under systemd, and the worker converts an upload to a PDF', async () => {
    const loadAtStart = os.loadavg()[0];
    world = await createBootWorld(fleet!);
    const w = world;
    const boot = await runUserData(w);
    if (boot.code !== 0) throw new Error(`boot script exited ${boot.code}:\n${boot.stdout}\n${boot.stderr}\njournal:\n${journalText(w)}`);
    expect(boot.steps.map((s) => s.name)).toEqual(['metadata', 'packages', 'runtime', 'config', 'service', 'done']);

    // The worker runs as the unit says, with the configuration the boot wrote.
    await waitUntil('the worker started', () => (serviceLog(w).some((l) => l.msg === 'worker started') ? true : undefined), 90_000)
      .catch((e: Error) => { throw new Error(`${e.message}; journal:\n${journalText(w)}`); });
    const active = await w.instance.sh('systemctl is-active spot-worker && id -u spot-worker && systemctl show spot-worker -p MainPID --value');
    const [state, uid, pid] = active.stdout.trim().split('\n');
    expect(state).toBe('active');
    const ps = await w.instance.sh(`stat -c %u /proc/${pid} && tr '\\0' ' ' < /proc/${pid}/cmdline`);
    expect(ps.stdout.trim().split('\n')).toEqual([uid, '/usr/bin/node-22 --enable-source-maps /opt/spot-worker/spot-worker.js run']);
    expect((await w.instance.sh('grep -c "^SPOT_WORKER_INSTANCE_ID=\\"' + w.instanceId + '\\"$" /etc/spot-worker/env')).stdout.trim()).toBe('1');

    // An upload goes through the bucket's notification to the queue, and the worker writes its PDF.
    const jpeg = await sharp({ create: { width: 120, height: 80, channels: 3, background: '#3060a0' } }).jpeg({ quality: 85 }).toBuffer();
    await w.s3.send(new PutObjectCommand({ Bucket: w.bucket, Key: 'uploads/boot/first photo.jpg', Body: jpeg, ContentType: 'image/jpeg' }));
    const pdf = await waitUntil('the PDF in S3', async () => {
      try {
        const res = await w.s3.send(new GetObjectCommand({ Bucket: w.bucket, Key: 'processed/boot/first photo.jpg.pdf' }));
        return Buffer.from(await res.Body!.transformToByteArray());
      } catch { return undefined; }
    }, 90_000).catch((e: Error) => { throw new Error(`${e.message}; journal:\n${journalText(w).slice(-4000)}`); });
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdf.indexOf(jpeg)).toBeGreaterThan(0);

    // The step times (recorded, not asserted): bench/boot/boot-steps.json with BOOT_STEPS_WRITE=1.
    const ready = serviceLog(w).find((l) => l.msg === 'worker started')!;
    const record = bootStepsRecord(boot.steps, Date.parse(String(ready.time)) / 1000, loadAtStart);
    if (process.env.BOOT_STEPS_WRITE === '1') writeBootSteps(record);
    // eslint-disable-next-line no-console
    console.log(`boot steps: ${record.steps.map((s) => `${s.name} ${s.seconds} s`).join(', ')}; script ${record.bootScriptSeconds} s; to ready ${record.serviceToReadySeconds} s`);
  }, 300_000);
});
