/**
 * Timers that never hold the process open and can be cut short: the one sleep of the runtime
 * (run loop backoff, file queue polls, local mode's loop) and a bounded wait for a promise.
 */

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Waits for `p` at most `ms`; the timer is cleared either way. True when `p` settled in time. */
export async function waitAtMost(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  let settled = false;
  const watched = p.then(() => { settled = true; }, () => { settled = true; });
  await Promise.race([watched, new Promise<void>((r) => { timer = setTimeout(r, Math.max(0, ms)); })]);
  clearTimeout(timer);
  return settled;
}
