/**
 * A consumer that appends each message id to a log (synchronously, like writing the output)
 * BEFORE deleting it, receiving in batches until the queue stays empty. The crash test
 * SIGKILLs it at random moments, including inside receive, delete and visibility calls; it
 * reports each finished batch so the test can aim its kills at the middle of the stream.
 * argv: <queue dir> <log file> <visibility seconds>
 */
import { appendFileSync } from 'fs';
import { FileQueue } from '../../../worker-runtime/src/adapters/local/file-queue';

async function main(): Promise<void> {
  const [dir, log, visibility] = process.argv.slice(2);
  const queue = await new FileQueue({ dir, visibilityTimeoutSeconds: Number(visibility), pollIntervalMs: 5 }).init();
  for (;;) {
    const got = await queue.receive({ maxMessages: 4, waitTimeSeconds: Number(visibility) + 1 });
    if (got.length === 0) break;
    for (const m of got) await queue.changeVisibility(m.receiptHandle, Number(visibility)); // an extension, as jobs do
    appendFileSync(log, got.map((m) => `${m.messageId}\n`).join(''));
    await queue.deleteBatch(got.map((m) => ({ id: m.messageId, receiptHandle: m.receiptHandle })));
    process.send?.({ batch: got.length });
  }
  process.exit(0);
}

void main();
