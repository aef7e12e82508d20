/**
 * Retry delays for transient failures. The delay is applied through the message's visibility
 * (ChangeMessageVisibility), so a retry never spins in this process.
 */
export interface BackoffOptions {
  /** Delay after the first failed attempt. @default 10 */
  readonly baseSeconds?: number;
  /** Upper bound of a delay. @default 900 (15 min) */
  readonly maxSeconds?: number;
  /** Random source in [0, 1); injectable for tests. @default Math.random */
  readonly random?: () => number;
}

/** SQS's maximum visibility timeout: 12 hours. */
export const MAX_VISIBILITY_SECONDS = 43_200;

/**
 * Exponential backoff with "equal jitter": half the exponential delay is fixed, half random,
 * so retries of a burst spread out but never come back sooner than half the nominal delay.
 * `attempt` is the number of attempts made so far (SQS's ApproximateReceiveCount), ≥ 1.
 */
export function backoffSeconds(attempt: number, options: BackoffOptions = {}): number {
  const base = options.baseSeconds ?? 10;
  const max = Math.min(options.maxSeconds ?? 900, MAX_VISIBILITY_SECONDS);
  const random = options.random ?? Math.random;
  const n = Number.isFinite(attempt) ? Math.max(1, Math.floor(attempt)) : 1;
  const nominal = Math.min(max, base * 2 ** Math.min(n - 1, 30));
  const half = nominal / 2;
  return Math.max(1, Math.min(max, Math.round(half + random() * half)));
}
