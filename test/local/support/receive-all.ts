/**
 * A consumer that receives and deletes until the queue stays empty, reporting every message id
 * it processed: several run at once to show that each message goes to exactly one process.
 * argv: <queue dir>
 */
import { FileQueue } from '../../../worker-runtime/src/adapters/local/file-queue';

async function main(): Promise<void> {
  const queue = await new FileQueue({ dir: process.argv[2], visibilityTimeoutSeconds: 60, pollIntervalMs: 5 }).init();
  const ids: string[] = [];
  for (;;) {
    const got = await queue.receive({ maxMessages: 3, waitTimeSeconds: 1 });
    if (got.length === 0) break;
    const res = await queue.deleteBatch(got.map((m) => ({ id: m.messageId, receiptHandle: m.receiptHandle })));
    if (res.failed.length > 0) throw new Error(`delete failed: ${JSON.stringify(res.failed)}`);
    ids.push(...got.map((m) => m.messageId));
  }
  process.send!({ ids }, () => process.exit(0));
}

void main();
