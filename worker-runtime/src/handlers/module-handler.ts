/**
 * Loads a user's handler from a JS module (`SPOT_WORKER_HANDLER=module`). The module exports a
 * `Handler` as its default export or as `handler`; a bare function is accepted as `handle`.
 */
import * as path from 'path';
import { ConfigError } from '../core/errors';
import type { Handler, HandlerContext, HandlerInput, HandlerOutput } from '../core/handler';

type HandleFn = (input: HandlerInput, context: HandlerContext) => Promise<HandlerOutput>;

function asHandler(candidate: unknown, name: string): Handler | undefined {
  if (typeof candidate === 'function') return { name, handle: candidate as HandleFn };
  if (typeof candidate === 'object' && candidate !== null && typeof (candidate as Handler).handle === 'function') {
    const h = candidate as Handler;
    return { name: typeof h.name === 'string' && h.name ? h.name : name, handle: (i, c) => h.handle(i, c) };
  }
  return undefined;
}

/** Validates what the handler returns, so a buggy module fails loudly instead of writing junk. */
function checked(inner: Handler): Handler {
  return {
    name: inner.name,
    async handle(input, context) {
      const out = await inner.handle(input, context);
      if (!out || !(out.body instanceof Uint8Array) || typeof out.contentType !== 'string' || typeof out.extension !== 'string') {
        throw new Error(`handler '${inner.name}' returned ${JSON.stringify(Object.keys(out ?? {}))}; expected { body: Uint8Array, contentType, extension }`);
      }
      return out;
    },
  };
}

export function loadModuleHandler(modulePath: string, cwd: string = process.cwd()): Handler {
  const resolved = path.resolve(cwd, modulePath);
  let mod: Record<string, unknown>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(resolved) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(`SPOT_WORKER_HANDLER_MODULE='${modulePath}' could not be loaded (${(err as Error).message})`);
  }
  const name = `module:${path.basename(resolved)}`;
  const found = asHandler(mod.default, name) ?? asHandler(mod.handler, name)
    ?? asHandler((mod.default as Record<string, unknown> | undefined)?.handler, name);
  if (!found) {
    throw new ConfigError(`SPOT_WORKER_HANDLER_MODULE='${modulePath}' exports no handler: export default (or export const handler =) { name, handle(input, context) }`);
  }
  return checked(found);
}
