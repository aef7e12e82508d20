/**
 * A queue consumer that receives messages and then holds them without ever deleting: the
 * crash-safety tests SIGKILL it while it holds them. Reports what it received over IPC.
 * argv: <queue dir> <visibility seconds> <max messages>
 */
import { FileQueue } from '../../../worker-runtime/src/adapters/local/file-queue';

async function main(): Promise<void> {
  const [dir, visibility, max] = process.argv.slice(2);
  const queue = await new FileQueue({ dir, visibilityTimeoutSeconds: Number(visibility) }).init();
  const got = await queue.receive({ maxMessages: Number(max), waitTimeSeconds: 5 });
  process.send!({ received: got.map((m) => ({ messageId: m.messageId, receiveCount: m.receiveCount })) });
  setInterval(() => undefined, 1000); // hold until killed
}

void main();
