/**
 * A consumer that appends each message id to a log (synchronously, like writing the output)
 * BEFORE deleting it, receiving in batches until the queue stays empty. The crash test
 * SIGKILLs it at random moments, including inside receive, delete and visibility calls; it
 * reports each finished batch so the test can aim its kills at the middle of the stream.
 * argv: <queue dir> <log file> <visibility seconds> [park after N batches]
 * With N it stops after N batches and waits to be killed instead of exiting, so a kill that a
 * loaded machine delivers late still finds it running and the queue not drained by one round.
 */
import { appendFileSync } from 'fs';
import { FileQueue } from '../../../worker-runtime/src/adapters/local/file-queue';

async function main(): Promise<void> {
  const [dir, log, visibility, parkAfter] = process.argv.slice(2);
  let batches = 0;
  const queue = await new FileQueue({ dir, visibilityTimeoutSeconds: Number(visibility), pollIntervalMs: 5 }).init();
  for (;;) {
    const got = await queue.receive({ maxMessages: 4, waitTimeSeconds: Number(visibility) + 1 });
    if (got.length === 0) break;
    for (const m of got) await queue.changeVisibility(m.receiptHandle, Number(visibility)); // an extension, as jobs do
    appendFileSync(log, got.map((m) => `${m.messageId}\n`).join(''));
    await queue.deleteBatch(got.map((m) => ({ id: m.messageId, receiptHandle: m.receiptHandle })));
    process.send?.({ batch: got.length });
    batches += 1;
    if (parkAfter !== undefined && batches >= Number(parkAfter)) await new Promise(() => setInterval(() => undefined, 1000));
  }
  process.exit(0);
}

void main();
