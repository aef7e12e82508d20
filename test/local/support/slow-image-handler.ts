/**
 * The default image → PDF handler, slowed by a fixed delay per image so that the chaos of the
 * end-to-end test (SIGKILLs, Spot notices) lands while jobs are running. Loaded by the local
 * workers through `--handler-module`, like any user's handler.
 */
import type { Handler } from '../../../worker-runtime/src/core/handler';
import { imageToPdfHandler } from '../../../worker-runtime/src/handlers/image-to-pdf';

const DELAY_MS = Number(process.env.SLOW_HANDLER_DELAY_MS ?? 400);
const inner = imageToPdfHandler();

export const handler: Handler = {
  name: 'slow-image-to-pdf',
  async handle(input, context) {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(resolve, DELAY_MS);
      context.signal.addEventListener('abort', () => { clearTimeout(t); reject(context.signal.reason); }, { once: true });
    });
    return inner.handle(input, context);
  },
};
