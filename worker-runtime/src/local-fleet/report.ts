/**
 * The end-of-run report: what went in, what came out, what it cost in worker time and in
 * (would-be) SQS requests. Rendered as JSON, markdown and the one-line summary printed last.
 */
import type { QueueAction } from '../adapters/local/file-queue';

export interface DeadLetterEntry {
  readonly sourceKey: string;
  readonly kind: string;
  readonly reason: string;
  readonly receiveCount: number;
}

export interface ScalingEvent {
  readonly t: number;
  readonly from: number;
  readonly to: number;
  readonly reason: string;
}

export interface LocalReport {
  readonly label: string;
  readonly images: number;
  readonly pdfs: number;
  readonly deadLetterEntries: DeadLetterEntry[];
  /**
   * Unfinished images: neither a PDF nor a DLQ entry at the end. Empty unless the run timed out
   * or was stopped (then they are still queued or in flight, not lost: the queue keeps them).
   */
  readonly unaccounted: string[];
  /** Files in the input folder the notification filter does not subscribe to. */
  readonly skippedFiles: string[];
  readonly wallSeconds: number;
  /** Seconds from the start until the last image was finished (the rest is the fleet going back to zero). */
  readonly processingSeconds: number;
  /** Images finished ÷ processingSeconds. */
  readonly imagesPerSecond: number;
  /** Unfinished messages draining workers gave back to the queue (visibility 0). */
  readonly messagesReleasedOnDrain: number;
  readonly workerSeconds: number;
  readonly busySeconds: number;
  /** busy ÷ (worker-seconds × concurrency) */
  readonly utilisation: number;
  readonly peakWorkers: number;
  readonly workersLaunched: number;
  readonly interruptionsInjected: number;
  /** Of those, sent while the queue was empty (nothing to drain). */
  readonly interruptionsWhileIdle: number;
  readonly interruptionsSurvived: number;
  readonly workersKilled: number;
  readonly sqsRequests: Partial<Record<QueueAction, number>>;
  readonly sqsRequestsTotal: number;
  readonly scalingEvents: ScalingEvent[];
  readonly policy: {
    readonly backlogPerInstanceTarget: number;
    readonly maxWorkers: number;
    readonly concurrency: number | 'auto';
    /** Round trip added to each storage request (`--storage-latency`), ms. */
    readonly storageLatencyMs: number;
    readonly timeScale: number;
    readonly localSecondsPerCloudWatchMinute: number;
    readonly visibilityTimeoutSeconds: number;
    readonly maxReceiveCount: number;
  };
  /** Seconds after the last image finished: workers idle until the scale-to-zero rule fires, then drain. */
  readonly idleTailSeconds: number;
  /** No worker process left at the end. */
  readonly fleetAtZero: boolean;
  /** `scaled-to-zero`: the queue emptied and the policy took the fleet to 0; `stopped`: Ctrl-C / end of a watch. */
  readonly endedBy: 'scaled-to-zero' | 'stopped' | 'timeout';
  readonly outDir: string;
}

/** SQS standard queue price per million requests (us-east-1, after the free tier), for scale. */
export const SQS_USD_PER_MILLION = 0.4;

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * Utilisation with what it means: busy worker-seconds over all worker-seconds, and how much of
 * the run was the idle tail (workers waiting for the scale-to-zero rule, as on AWS).
 */
export function utilisationText(r: LocalReport): string {
  const tail = r.wallSeconds > 0 ? r.idleTailSeconds / r.wallSeconds : 0;
  return `utilisation ${(r.utilisation * 100).toFixed(1)} % (busy ${r.busySeconds.toFixed(1)} of ${r.workerSeconds.toFixed(1)} worker-seconds;`
    + ` the last ${r.idleTailSeconds.toFixed(1)} s (${(tail * 100).toFixed(0)} % of the run) are the idle tail before scale-to-zero)`;
}

export function summaryLine(r: LocalReport, reportPath: string): string {
  const unfinished = r.unaccounted.length;
  return `${r.label}: ${plural(r.images, 'image')}, ${plural(r.pdfs, 'PDF')}, ${plural(r.deadLetterEntries.length, 'DLQ entry', 'DLQ entries')}, `
    + `${unfinished} unfinished · ${r.interruptionsSurvived}/${r.interruptionsInjected} interruptions survived · peak ${plural(r.peakWorkers, 'worker')} · `
    + `${r.wallSeconds.toFixed(1)} s · report ${reportPath}`;
}

export function renderMarkdown(r: LocalReport): string {
  const lines = [
    `# Local run: ${r.label}`,
    '',
    '![backlog, workers and throughput over time](chart.svg)',
    '',
    '| | |',
    '| --- | --- |',
    `| images | ${r.images} |`,
    `| PDFs | ${r.pdfs} |`,
    `| DLQ entries | ${r.deadLetterEntries.length} |`,
    `| unfinished (neither PDF nor DLQ yet) | ${r.unaccounted.length} |`,
    `| wall time | ${r.wallSeconds.toFixed(1)} s |`,
    `| last image finished at | ${r.processingSeconds.toFixed(1)} s (the remaining ${r.idleTailSeconds.toFixed(1)} s are the idle tail: the fleet waits for the scale-to-zero rule, then drains) |`,
    `| throughput | ${r.imagesPerSecond.toFixed(2)} images/s (until the last image finished) |`,
    `| worker-seconds | ${r.workerSeconds.toFixed(1)} (busy ${r.busySeconds.toFixed(1)}) |`,
    `| utilisation | ${(r.utilisation * 100).toFixed(1)} % of worker-seconds busy. It is low by design in a short run: every worker stays up through the idle tail, the ${r.idleTailSeconds.toFixed(1)} s of empty queue the scale-to-zero rule waits for, as on AWS (where that tail is 15 minutes of a run of hours) |`,
    `| peak workers | ${r.peakWorkers} (launched ${r.workersLaunched}) |`,
    `| Spot interruptions survived | ${r.interruptionsSurvived} of ${r.interruptionsInjected} injected (drained, exited cleanly, replaced); ${r.interruptionsWhileIdle} of them to idle workers |`,
    `| messages handed back on drain | ${r.messagesReleasedOnDrain} |`,
    `| workers killed (SIGKILL) | ${r.workersKilled} |`,
    `| SQS requests that would be billed | ${r.sqsRequestsTotal} (≈ $${((r.sqsRequestsTotal / 1e6) * SQS_USD_PER_MILLION).toFixed(6)}) |`,
    `| fleet back at zero | ${r.fleetAtZero ? 'yes' : 'no'} (${r.endedBy}) |`,
    '',
    '## SQS requests by action',
    '',
    '| action | requests |',
    '| --- | --- |',
    ...Object.entries(r.sqsRequests).map(([a, n]) => `| ${a} | ${n} |`),
    '',
    'Each SendMessage is an S3 event notification (or a move to the DLQ); ReceiveMessage counts long polls, empty ones included.',
    'GetQueueAttributes calls of the local scaler are not counted: on AWS the scaling policy reads CloudWatch metrics, not the queue.',
    '',
    '## Dead-letter queue',
    '',
  ];
  if (r.deadLetterEntries.length === 0) {lines.push('empty');} else {
    lines.push('| source key | kind | reason | receives |', '| --- | --- | --- | --- |');
    for (const e of r.deadLetterEntries) lines.push(`| \`${e.sourceKey}\` | ${e.kind} | ${e.reason.replace(/\|/g, '\\|')} | ${e.receiveCount} |`);
  }
  if (r.unaccounted.length > 0) {
    lines.push('', '## Unfinished images', '', 'Still queued or in flight when the run ended; the queue keeps them.', '', ...r.unaccounted.map((k) => `- \`${k}\``));
  }
  if (r.skippedFiles.length > 0) {
    lines.push('', '## Files not uploaded (suffix not subscribed by the notification)', '', ...r.skippedFiles.map((k) => `- \`${k}\``));
  }
  lines.push(
    '',
    '## Scaling',
    '',
    `Policy: backlog-per-instance target ${r.policy.backlogPerInstanceTarget} (acceptable latency ÷ expected processing time), `
    + `max ${r.policy.maxWorkers} workers, ${r.policy.concurrency === 'auto' ? 'adaptive job slots' : `${r.policy.concurrency} job(s)`} per worker`
    + `${r.policy.storageLatencyMs > 0 ? `, ${r.policy.storageLatencyMs} ms of round trip on each storage request` : ''}; `
    + `time compressed ×${r.policy.timeScale}: 1 CloudWatch minute = ${r.policy.localSecondsPerCloudWatchMinute} s here. `
    + `Queue: visibility ${r.policy.visibilityTimeoutSeconds} s, maxReceiveCount ${r.policy.maxReceiveCount}.`,
    '',
    '| t (s) | from | to | why |',
    '| --- | --- | --- | --- |',
    ...r.scalingEvents.map((e) => `| ${e.t.toFixed(1)} | ${e.from} | ${e.to} | ${e.reason} |`),
    '',
  );
  return lines.join('\n');
}
