/** Picks the handler named by `SPOT_WORKER_HANDLER` and builds it from the configuration. */
import { createCommandHandler } from './command-handler';
import { loadModuleHandler } from './module-handler';
import type { RunConfig } from '../core/config';
import { ConfigError } from '../core/errors';
import type { Handler } from '../core/handler';

type HandlerConfig = Pick<RunConfig, 'handler' | 'handlerModule' | 'handlerCommand' | 'commandOutputExtension'
| 'commandContentType' | 'commandTimeoutSeconds' | 'maxImageBytes' | 'maxImagePixels' | 'validateDecode'>;


export function loadHandler(config: HandlerConfig): Handler {
  switch (config.handler) {
    case 'module':
      if (!config.handlerModule) throw new ConfigError('SPOT_WORKER_HANDLER=module needs SPOT_WORKER_HANDLER_MODULE');
      return loadModuleHandler(config.handlerModule);
    case 'command':
      if (!config.handlerCommand) throw new ConfigError('SPOT_WORKER_HANDLER=command needs SPOT_WORKER_HANDLER_COMMAND');
      return createCommandHandler({
        command: config.handlerCommand,
        outputExtension: config.commandOutputExtension,
        contentType: config.commandContentType,
        timeoutSeconds: config.commandTimeoutSeconds,
      });
    case 'image-to-pdf': {
      // Loaded lazily: the module and command handlers do not need the image code or sharp.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require('./image-to-pdf') as typeof import('./image-to-pdf');
      return mod.imageToPdfHandler({ maxBytes: config.maxImageBytes, maxPixels: config.maxImagePixels, validateDecode: config.validateDecode });
    }
    default:
      throw new ConfigError(`unknown SPOT_WORKER_HANDLER '${String(config.handler)}'`);
  }
}
