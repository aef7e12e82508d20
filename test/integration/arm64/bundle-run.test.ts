/**
 * The deployable artifact end to end on arm64: `spot-worker.js run` from the arm64 bundle,
 * under qemu-aarch64 with the arm64 Node 22, against moto (S3 → SQS notifications, Auto
 * Scaling) and amazon-ec2-metadata-mock. It converts an upload with the default handler
 * (sharp's linux-arm64 binaries, pdf-lib), then drains on a Spot notice and exits 0.
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as path from 'path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { describeWithPeers, freePort, motoEnv, peerPath, RunningPeer, startMetadataMock, startMoto } from '../../support/peers';
import { createMotoFleet, MotoFleet } from '../aemm/moto-fleet';
import { waitUntil } from '../aemm/support';

const ROOT = path.join(__dirname, '..', '..', '..');
const BUNDLE = path.join(ROOT, 'worker-runtime', 'dist', 'bundle-arm64');

describeWithPeers(['QEMU_AARCH64_BIN', 'NODE_ARM64_BIN', 'AARCH64_SYSROOT', 'MOTO_SERVER_BIN', 'AEMM_BIN'], 'arm64 bundle: spot-worker run under qemu-aarch64', () => {
  let moto: RunningPeer | undefined;
  let mock: RunningPeer | undefined;
  let fleet: MotoFleet | undefined;
  let child: ChildProcess | undefined;

  beforeAll(() => {
    execFileSync(process.execPath, [path.join(ROOT, 'worker-runtime', 'scripts', 'build-bundle.mjs'), '--sharp-version', '0.34.5'], { cwd: ROOT, stdio: 'pipe' });
  });

  afterAll(async () => {
    if (child && child.exitCode === null && !child.signalCode) {
      const gone = new Promise((r) => child!.once('exit', r));
      child.kill('SIGKILL');
      await gone;
    }
    await mock?.stop();
    fleet?.destroy();
    await moto?.stop();
  });

  test('converts an upload to a PDF in S3, then drains on a Spot notice and exits 0', async () => {
    moto = await startMoto();
    fleet = await createMotoFleet(moto.endpoint);
    const f = fleet;
    const imdsPort = await freePort();
    const logs: Array<Record<string, unknown>> = [];
    let stderr = '';
    let partial = '';
    child = spawn(peerPath('QEMU_AARCH64_BIN')!, ['-L', peerPath('AARCH64_SYSROOT')!, peerPath('NODE_ARM64_BIN')!, path.join(BUNDLE, 'spot-worker.js'), 'run'], {
      env: {
        PATH: process.env.PATH ?? '',
        ...motoEnv(moto.endpoint),
        AWS_EC2_METADATA_SERVICE_ENDPOINT: `http://127.0.0.1:${imdsPort}`,
        SPOT_WORKER_QUEUE_URL: f.queueUrl,
        SPOT_WORKER_DLQ_URL: f.dlqUrl,
        SPOT_WORKER_ASG_NAME: f.groupName,
        SPOT_WORKER_INSTANCE_ID: f.instanceId,
        SPOT_WORKER_IMDS_POLL_SECONDS: '1',
        SPOT_WORKER_IDLE_GRACE_SECONDS: '600',
        SPOT_WORKER_METRICS: 'none',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => {
      const lines = (partial + d.toString()).split('\n');
      partial = lines.pop()!;
      for (const l of lines) if (l.startsWith('{')) logs.push(JSON.parse(l));
    });
    child.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
    const exited = new Promise<{ code: number | null; signal: string | null }>((r) => child!.once('exit', (code, signal) => r({ code, signal })));

    await waitUntil('worker started', () => logs.find((l) => l.msg === 'worker started') ?? (child!.exitCode !== null ? (() => { throw new Error(stderr); })() : undefined), 60_000);

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
    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([
      exited,
      new Promise<never>((_, rej) => { timer = setTimeout(() => rej(new Error(`no exit within 60 s: ${stderr}`)), 60_000); }),
    ]).finally(() => clearTimeout(timer));
    expect(exit).toEqual({ code: 0, signal: null });
    expect(logs.find((l) => l.msg === 'draining')).toMatchObject({ kind: 'spot-interruption' });
    expect(logs.find((l) => l.msg === 'object processed')).toMatchObject({ key: 'uploads/arm64/photo 1.jpg', outputKey });
    expect(await f.protectedFromScaleIn()).toBe(false);
    expect(await f.counts(f.dlqUrl)).toEqual({ visible: 0, inFlight: 0 });
  });
});
