/**
 * The handler a local worker runs: the default image → PDF handler, or the user's own module
 * or command (the handler author's inner loop), built by the same loader as `spot-worker run`.
 */
import type { LocalWorkerConfig } from './worker-config';
import type { Handler } from '../core/handler';
import { imageToPdfHandler } from '../handlers/image-to-pdf';
import { loadHandler } from '../handlers/load-handler';

export function createLocalHandler(cfg: LocalWorkerConfig): Handler {
  if (cfg.handlerModule) {
    return loadHandler({
      handler: 'module',
      handlerModule: cfg.handlerModule,
      handlerCommand: undefined,
      commandOutputExtension: '.out',
      commandContentType: 'application/octet-stream',
      commandTimeoutSeconds: 900,
      maxImageBytes: 104_857_600,
      maxImagePixels: 268_402_689,
      validateDecode: cfg.validateDecode,
    });
  }
  return imageToPdfHandler({ validateDecode: cfg.validateDecode });
}
