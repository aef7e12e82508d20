/**
 * Issue 11, Build 8 (memory): `spot-worker run` as a child process against moto converts several
 * JPEGs near a lowered SPOT_WORKER_MAX_IMAGE_BYTES, six at a time, and its peak RSS (VmHWM from
 * /proc, the kernel's own high-water mark: no sampling, nothing timed) stays under the documented
 * formula: base + concurrency × (maximum input + one upload piece). Each output, larger than a
 * piece, goes up as a multipart upload of views of the input, never joined into a second copy.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import {
  createWorld, ensureRuntimeCompiled, head, queueCounts, RunningWorker, startWorker, stopWorker, upload, waitUntil,
} from './moto-world';
import { peakRssBoundBytes } from '../../../worker-runtime/src/adapters/aws/memory-bound';
import { MULTIPART_PART_BYTES } from '../../../worker-runtime/src/adapters/aws/s3-object-store';
import { convertImageToPdf } from '../../../worker-runtime/src/handlers/image-to-pdf';
import { describeWithPeers, RunningPeer, startMoto } from '../../support/peers';

jest.setTimeout(240_000);

const MiB = 1024 * 1024;
const CONCURRENCY = 6;
const UPLOADS = 12;

/** A JPEG of noise (incompressible: its size follows its pixels), about 24 MiB. */
async function largeJpeg(): Promise<Buffer> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sharp = require('sharp') as typeof import('sharp');
  const width = 4000;
  const height = 3000;
  const raw = crypto.randomBytes(width * height * 3);
  return sharp(raw, { raw: { width, height, channels: 3 } }).jpeg({ quality: 100, chromaSubsampling: '4:4:4' }).toBuffer();
}

function vmHwmBytes(pid: number): number {
  const m = /^VmHWM:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

describeWithPeers(['MOTO_SERVER_BIN'], 'peak memory of spot-worker run against moto server', () => {
  let moto: RunningPeer;
  let worker: RunningWorker | undefined;
  beforeAll(async () => {
    ensureRuntimeCompiled();
    moto = await startMoto();
  });
  afterAll(async () => {
    if (worker) await stopWorker(worker, 'SIGKILL');
    await moto?.stop();
  });

  test(`${UPLOADS} JPEGs near the input limit, ${CONCURRENCY} at a time: peak RSS under base + concurrency × (maximum input + one upload piece), `
    + 'outputs byte-exact', async () => {
    const jpeg = await largeJpeg();
    expect(jpeg.length).toBeGreaterThan(2 * MULTIPART_PART_BYTES);
    const maxInputBytes = Math.ceil((jpeg.length + 1) / MiB) * MiB;
    const world = await createWorld(moto.endpoint, 'memory', 120);
    for (let i = 0; i < UPLOADS; i++) await upload(world, `uploads/big-${i}.jpg`, jpeg);
    worker = startWorker(moto.endpoint, world, {
      SPOT_WORKER_CONCURRENCY: String(CONCURRENCY),
      SPOT_WORKER_MAX_IMAGE_BYTES: String(maxInputBytes),
      SPOT_WORKER_METRICS: 'none',
    });
    for (let i = 0; i < UPLOADS; i++) {
      await waitUntil(`processed/big-${i}.jpg.pdf`, () => head(world, `processed/big-${i}.jpg.pdf`), 180_000, 500);
    }
    const peak = vmHwmBytes(worker.child.pid!);
    const bound = peakRssBoundBytes(CONCURRENCY, maxInputBytes);
    // Before the outputs went up in pieces each job held its PDF twice (input + joined copy): over the bound.
    if (process.env.MEMORY_REPORT) {
      process.stderr.write(`VmHWM ${(peak / MiB).toFixed(0)} MiB, bound ${(bound / MiB).toFixed(0)} MiB (input ${(jpeg.length / MiB).toFixed(1)} MiB, max ${maxInputBytes / MiB} MiB)\n`);
    }
    expect(peak).toBeLessThan(bound);
    await waitUntil('queue empty', async () => {
      const c = await queueCounts(world.sqs, world.queueUrl);
      return c.visible + c.inFlight === 0;
    }, 20_000);
    expect(await stopWorker(worker)).toBe(0);
    worker = undefined;

    // The multipart output is the PDF a one-buffer conversion gives, byte for byte.
    const expected = Buffer.from(await convertImageToPdf(jpeg));
    const got = await world.s3.send(new GetObjectCommand({ Bucket: world.bucket, Key: 'processed/big-0.jpg.pdf' }));
    const bytes = Buffer.from(await got.Body!.transformToByteArray());
    expect(bytes.length).toBe(expected.length);
    expect(bytes.equals(expected)).toBe(true);
  });
});
