/**
 * Helpers for the metadata-mock suites: a logger that records what the runtime logs and a
 * bounded wait. (Restarting the mock on its port: `startMetadataMock(args, port)` in test/support/peers.ts.)
 */

export interface LogEntry {
  readonly level: string;
  readonly message: string;
  readonly fields?: Record<string, unknown>;
}

export function recordingLogger() {
  const entries: LogEntry[] = [];
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) => { entries.push({ level, message, fields }); };
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Polls `check` every 50 ms until it returns a value, or fails after `timeoutMs`. */
export async function waitUntil<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

