/**
 * End to end: `spot-worker local` with good and bad images while workers are SIGKILLed at
 * random (seeded) and Spot interruptions are injected. Every good image must have exactly one
 * PDF, every bad one a DLQ entry with its reason, and nothing may be lost.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { Capture, writeImages } from './support/run-fixtures';
import { runLocal } from '../../worker-runtime/src/local-fleet/local-run';

function filesUnder(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(root, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...filesUnder(root, r));
    else out.push(r);
  }
  return out;
}

describe('spot-worker local, end to end under chaos', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(path.join(tmpdir(), 'local-e2e-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('SIGKILLs and Spot interruptions: every good image has exactly one PDF, every bad one is in the DLQ with its reason', async () => {
    const images = path.join(dir, 'images');
    const { good, bad } = await writeImages(images, 16);
    const out = path.join(dir, 'out');
    const stdout = new Capture();
    const { report, exitCode } = await runLocal({
      images,
      out,
      label: 'chaos',
      // The real image handler, 400 ms slower per image: the chaos below then hits running jobs.
      handlerModule: path.join(__dirname, 'support', 'slow-image-handler.ts'),
      maxWorkers: 3,
      concurrency: 1,
      // A slow handler: no prefetch (docs/runtime.md), so idle workers are not left without work.
      prefetch: 0,
      interruptEvery: 2.5,
      killEvery: 3,
      seed: 42,
      // Target 2 messages per worker, so that the backlog scales the fleet out.
      acceptableLatencySeconds: 20,
      expectedProcessingSeconds: 10,
      scaleToZeroAfterMinutes: 3,
      visibilityTimeoutSeconds: 2,
      // Interruptions and kills raise receive counts of healthy messages: redrive is the backstop only.
      maxReceiveCount: 10,
      timeoutSeconds: 100,
      stdout,
      tty: false,
    });
    expect(exitCode).toBe(0);

    // Exactly the expected outputs, each a complete PDF.
    const outputs = filesUnder(path.join(out, 'bucket', 'processed')).sort();
    expect(outputs).toEqual(good.map((g) => `${g}.pdf`).sort());
    for (const o of outputs) {
      const pdf = readFileSync(path.join(out, 'bucket', 'processed', ...o.split('/')));
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
      expect(pdf.subarray(-8).toString()).toContain('%%EOF');
    }

    // Every bad file in the DLQ with a reason; nothing else there.
    expect(report.deadLetterEntries.map((e) => e.sourceKey).sort()).toEqual(bad.map((b) => `uploads/${b}`).sort());
    for (const e of report.deadLetterEntries) {
      expect(e.kind).not.toBe('max-receives-exceeded');
      expect(e.reason.length).toBeGreaterThan(5);
    }
    expect(report.unaccounted).toEqual([]);
    expect(report).toMatchObject({ images: good.length + bad.length, pdfs: good.length, fleetAtZero: true, endedBy: 'scaled-to-zero' });
    // The chaos really happened, and the fleet replaced what it lost.
    expect(report.workersKilled).toBeGreaterThanOrEqual(1);
    expect(report.interruptionsInjected).toBeGreaterThanOrEqual(1);
    expect(report.workersLaunched).toBeGreaterThan(1);
    // The uploads wake the fleet at once (the construct's wake on upload); the metric policy scales it out and back to zero.
    expect(report.scalingEvents[0]).toMatchObject({ from: 0, to: 1, reason: 'upload-wake' });
    expect(report.scalingEvents.map((e) => e.reason)).toEqual(expect.arrayContaining(['target-tracking-out']));
    // Back to zero by whichever rule fires first: a worker's idle self-release (early when its messages came
    // further apart than idleReleaseAfter, core/arrival-spacing.ts), or the one scaling model (target tracking's
    // low alarm scales an empty queue to 0 after its 15 datapoints; the sleep step after scaleToZeroAfter).
    const last = report.scalingEvents[report.scalingEvents.length - 1];
    expect(last.to).toBe(0);
    expect(['idle-release', 'scale-to-zero', 'target-tracking-in']).toContain(last.reason);

    // Report, chart and the last line.
    for (const f of ['report.json', 'report.md', 'chart.svg']) expect(statSync(path.join(out, f)).size).toBeGreaterThan(100);
    expect(readFileSync(path.join(out, 'chart.svg'), 'utf8')).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    const lines = stdout.text.trim().split('\n');
    expect(lines[lines.length - 1]).toMatch(new RegExp(`^chaos: ${good.length + bad.length} images, ${good.length} PDFs, ${bad.length} DLQ entries, 0 unfinished`));
  });
});
