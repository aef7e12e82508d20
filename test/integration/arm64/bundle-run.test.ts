/**
 * The deployable artifact end to end on arm64: `spot-worker.js run` from the arm64 bundle,
 * under qemu-aarch64 with the arm64 Node 22, against moto (S3 → SQS notifications, Auto
 * Scaling) and amazon-ec2-metadata-mock. It converts an upload with the default handler
 * (sharp's linux-arm64 binaries, pdf-lib), then drains on a Spot notice and exits 0.
 */
import { execFileSync } from 'child_process';
import * as path from 'path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { Arm64Worker, startArm64Worker } from './arm64-worker';
import { describeWithPeers, freePort, RunningPeer, startMetadataMock, startMoto } from '../../support/peers';
import { createMotoFleet, MotoFleet } from '../aemm/moto-fleet';
import { waitUntil } from '../aemm/support';

const ROOT = path.join(__dirname, '..', '..', '..');
const BUNDLE = path.join(ROOT, 'worker-runtime', 'dist', 'bundle-arm64');

describeWithPeers(['QEMU_AARCH64_BIN', 'NODE_ARM64_BIN', 'AARCH64_SYSROOT', 'MOTO_SERVER_BIN', 'AEMM_BIN'], 'arm64 bundle: spot-worker run under qemu-aarch64', () => {
  let moto: RunningPeer | undefined;
  let mock: RunningPeer | undefined;
  let fleet: MotoFleet | undefined;
  let worker: Arm64Worker | undefined;

  beforeAll(() => {
    execFileSync(process.execPath, [path.join(ROOT, 'worker-runtime', 'scripts', 'build-bundle.mjs'), '--sharp-version', '0.34.5'], { cwd: ROOT, stdio: 'pipe' });
  });

  afterAll(async () => {
    await worker?.kill();
    await mock?.stop();
    fleet?.destroy();
    await moto?.stop();
  });

  test('converts an upload to a PDF in S3, then drains on a Spot notice and exits 0', async () => {
    moto = await startMoto();
    fleet = await createMotoFleet(moto.endpoint);
    const f = fleet;
    const imdsPort = await freePort();
    worker = startArm64Worker(BUNDLE, moto.endpoint, f, imdsPort);
    const logs = worker.logs;
    await worker.started(60_000);

    const jpeg = await sharp({ create: { width: 96, height: 64, channels: 3, background: '#208040' } }).jpeg({ quality: 90 }).toBuffer();
    await f.upload('uploads/arm64/photo 1.jpg', jpeg);
    const outputKey = 'processed/arm64/photo 1.jpg.pdf';
    const pdf = await waitUntil('the PDF in S3', async () => {
      try {
        const res = await f.s3.send(new GetObjectCommand({ Bucket: f.bucket, Key: outputKey }));
        return Buffer.from(await res.Body!.transformToByteArray());
      } catch { return undefined; }
    }, 60_000);
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    // Embedded as is: the JPEG's bytes appear in the PDF unchanged.
    expect(pdf.indexOf(jpeg)).toBeGreaterThan(0);
    await waitUntil('message deleted', async () => {
      const c = await f.counts(f.queueUrl);
      return c.visible === 0 && c.inFlight === 0 ? true : undefined;
    }, 30_000);

    mock = await startMetadataMock(['spot', '-a', 'terminate', '-d', '0', '--rebalance-delay-sec', '3600'], imdsPort);
    const exit = await worker.exit(60_000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(logs.find((l) => l.msg === 'draining')).toMatchObject({ kind: 'spot-interruption' });
    expect(logs.find((l) => l.msg === 'object processed')).toMatchObject({ key: 'uploads/arm64/photo 1.jpg', outputKey });
    expect(await f.protectedFromScaleIn()).toBe(false);
    expect(await f.counts(f.dlqUrl)).toEqual({ visible: 0, inFlight: 0 });
  });
});
