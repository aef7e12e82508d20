import { Capture } from './support/run-fixtures';
import { renderChart, throughputSeries } from '../../worker-runtime/src/local-fleet/chart';
import { ProgressDisplay } from '../../worker-runtime/src/local-fleet/progress';
import { LocalReport, renderMarkdown, summaryLine } from '../../worker-runtime/src/local-fleet/report';

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
    interruptionsSurvived: 1,
    workersKilled: 0,
    sqsRequests: { SendMessage: 4, ReceiveMessage: 5, DeleteMessageBatch: 3 },
    sqsRequestsTotal: 12,
    scalingEvents: [{ t: 1, from: 0, to: 1, reason: 'step-0-to-1' }],
    policy: {
      backlogPerInstanceTarget: 30,
      maxWorkers: 4,
      concurrency: 1,
      timeScale: 60,
      localSecondsPerCloudWatchMinute: 1,
      visibilityTimeoutSeconds: 30,
      maxReceiveCount: 5,
    },
    fleetAtZero: true,
    endedBy: 'scaled-to-zero',
    outDir: '/tmp/x',
  };

  test('the last line starts with the label and carries images, PDFs and DLQ entries', () => {
    expect(summaryLine(report, 'r.md')).toMatch(/^demo: 3 images, 2 PDFs, 1 DLQ entry, 0 lost · 1\/1 interruptions survived/);
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
    expect(throughputSeries(samples)).toEqual([0, 1, 1, 1]);
    const svg = renderChart({ title: 'x & y', samples, interruptions: [1.5] });
    expect(svg).toMatch(/^<svg /);
    expect(svg).toContain('x &amp; y');
    for (const label of ['backlog', 'workers', 'throughput']) expect(svg).toContain(label);
    expect(svg).toContain('stroke-dasharray');
  });
});
