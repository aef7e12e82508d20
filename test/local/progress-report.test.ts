import { Capture } from './support/run-fixtures';
import { axisTicks, renderChart, throughputSeries } from '../../worker-runtime/src/local-fleet/chart';
import { ProgressDisplay } from '../../worker-runtime/src/local-fleet/progress';
import { LocalReport, renderMarkdown, summaryLine, utilisationText } from '../../worker-runtime/src/local-fleet/report';

const snapshot = { images: 10, pdfs: 4, deadLettered: 1, backlog: 5, workers: 2, interruptions: 1, elapsedSeconds: 3.2 };

describe('progress display', () => {
  test('a terminal gets one bar redrawn in place', () => {
    const out = new Capture();
    const p = new ProgressDisplay({ label: 'demo', stream: out, tty: true });
    p.update(snapshot);
    p.update({ ...snapshot, pdfs: 9, backlog: 0 });
    p.finish();
    expect(out.text).not.toContain('\n');
    expect(out.text).toContain('\r\x1b[2Kdemo: [##############..............] 5/10 done');
    expect(out.text).toContain('10/10 done (9 PDF, 1 DLQ)');
  });

  test('a pipe gets plain lines, only when something changed', () => {
    const out = new Capture();
    const p = new ProgressDisplay({ label: 'local', stream: out, tty: false });
    p.update(snapshot);
    p.update({ ...snapshot, elapsedSeconds: 3.4 }); // only the clock moved: no line
    const lines = out.text.trim().split('\n');
    expect(lines).toEqual(['local: 5/10 done (4 PDF, 1 DLQ) · backlog 5 · 2 workers · 1 interruption · 3.2 s']);
    expect(out.text).not.toContain('\r');
  });
});

describe('report', () => {
  const report: LocalReport = {
    label: 'demo',
    images: 3,
    pdfs: 2,
    deadLetterEntries: [{ sourceKey: 'uploads/bad.jpg', kind: 'truncated', reason: 'ends after 20 bytes', receiveCount: 1 }],
    unaccounted: [],
    skippedFiles: ['SOURCES.md'],
    wallSeconds: 12.5,
    processingSeconds: 2.5,
    imagesPerSecond: 1.2,
    messagesReleasedOnDrain: 1,
    workerSeconds: 10,
    busySeconds: 2,
    utilisation: 0.2,
    peakWorkers: 1,
    workersLaunched: 2,
    interruptionsInjected: 1,
    interruptionsWhileIdle: 0,
    interruptionsSurvived: 1,
    workersKilled: 0,
    sqsRequests: { SendMessage: 4, ReceiveMessage: 5, DeleteMessageBatch: 3 },
    sqsRequestsTotal: 12,
    scalingEvents: [{ t: 1, from: 0, to: 1, reason: 'step-0-to-1' }],
    policy: {
      backlogPerInstanceTarget: 30,
      maxWorkers: 4,
      concurrency: 1,
      storageLatencyMs: 0,
      timeScale: 60,
      localSecondsPerCloudWatchMinute: 1,
      visibilityTimeoutSeconds: 30,
      maxReceiveCount: 5,
    },
    idleTailSeconds: 1.5,
    fleetAtZero: true,
    endedBy: 'scaled-to-zero',
    outDir: '/tmp/x',
  };

  test('the last line starts with the label and carries images, PDFs and DLQ entries', () => {
    expect(summaryLine(report, 'r.md')).toMatch(/^demo: 3 images, 2 PDFs, 1 DLQ entry, 0 unfinished · 1\/1 interruptions survived/);
  });

  test('markdown lists the DLQ reasons, the requests and the scaling events', () => {
    const md = renderMarkdown(report);
    expect(md).toContain('| `uploads/bad.jpg` | truncated | ends after 20 bytes | 1 |');
    expect(md).toContain('| SQS requests that would be billed | 12');
    expect(md).toContain('| 1.0 | 0 | 1 | step-0-to-1 |');
    expect(md).toContain('- `SOURCES.md`');
  });

  test('the chart is an SVG with the three panels; throughput is finished images per second', () => {
    const samples = [0, 1, 2, 3].map((t) => ({ t, visible: 3 - t, inFlight: 0, workers: 1, finished: t }));
    // Per bin, no trailing window: what finished in [t0, t1), so it stops with the backlog.
    expect(throughputSeries(samples, 1)).toEqual([{ t0: 0, t1: 1, rate: 1 }, { t0: 1, t1: 2, rate: 1 }, { t0: 2, t1: 3, rate: 1 }]);
    const burst = [{ t: 0, visible: 4, inFlight: 0, workers: 1, finished: 0 }, { t: 1, visible: 0, inFlight: 0, workers: 1, finished: 4 },
      { t: 10, visible: 0, inFlight: 0, workers: 1, finished: 4 }];
    expect(throughputSeries(burst, 1).map((b) => b.rate)).toEqual([4, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const svg = renderChart({ title: 'x & y', samples, interruptions: [1.5] });
    expect(svg).toMatch(/^<svg /);
    expect(svg).toContain('x &amp; y');
    for (const label of ['backlog', 'workers', 'throughput']) expect(svg).toContain(label);
    expect(svg).toContain('stroke-dasharray');
  });

  test('ticks are round: 1, 2 or 5 × a power of ten, from 0 past the maximum', () => {
    expect(axisTicks(16.3, 6)).toEqual([0, 5, 10, 15, 20]);
    expect(axisTicks(108.9, 6)).toEqual([0, 20, 40, 60, 80, 100, 120]);
    expect(axisTicks(3, 4, true)).toEqual([0, 1, 2, 3]);
    expect(axisTicks(0.4, 4)).toEqual([0, 0.1, 0.2, 0.3, 0.4]);
    const svg = renderChart({ title: 't', samples: [{ t: 0, visible: 2, inFlight: 0, workers: 0, finished: 0 }, { t: 16.3, visible: 0, inFlight: 0, workers: 0, finished: 2 }], interruptions: [], idleInterruptions: [12] });
    for (const t of ['0 s', '5 s', '10 s', '15 s', '20 s']) expect(svg).toContain(`>${t}</text>`);
    expect(svg).not.toMatch(/>\d+\.\d+ s</);
    expect(svg).toContain('Spot notice to an idle fleet (1)');
  });

  test('utilisation has a decimal and says the idle tail is part of it', () => {
    expect(utilisationText({ ...report, utilisation: 0.004, busySeconds: 0.1, workerSeconds: 25, wallSeconds: 16, idleTailSeconds: 14.4 }))
      .toBe('utilisation 0.4 % (busy 0.1 of 25.0 worker-seconds; the last 14.4 s (90 % of the run) are the idle tail before scale-to-zero)');
    expect(renderMarkdown(report)).toContain('| utilisation | 20.0 % of worker-seconds busy.');
  });

  test('images not done when a run ends are "unfinished", never "lost"', () => {
    const stopped = { ...report, unaccounted: ['uploads/late.jpg'], endedBy: 'timeout' as const };
    expect(summaryLine(stopped, 'r.md')).toContain('1 unfinished');
    const md = renderMarkdown(stopped);
    expect(md).toContain('## Unfinished images');
    expect(md).not.toMatch(/lost/i);
  });
});
