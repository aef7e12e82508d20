import { backoffSeconds, MAX_VISIBILITY_SECONDS } from '../../../worker-runtime/src/core/backoff';

describe('backoffSeconds', () => {
  test('grows exponentially with the attempt, jitter between half and the whole nominal delay', () => {
    const low = (n: number) => backoffSeconds(n, { baseSeconds: 10, maxSeconds: 900, random: () => 0 });
    const high = (n: number) => backoffSeconds(n, { baseSeconds: 10, maxSeconds: 900, random: () => 0.999999 });
    expect([1, 2, 3, 4, 5].map(low)).toEqual([5, 10, 20, 40, 80]);
    expect([1, 2, 3, 4, 5].map(high)).toEqual([10, 20, 40, 80, 160]);
  });

  test('is capped at maxSeconds and never beyond SQS\'s 12-hour limit', () => {
    expect(backoffSeconds(50, { baseSeconds: 10, maxSeconds: 900, random: () => 0.999 })).toBeLessThanOrEqual(900);
    expect(backoffSeconds(1000, { baseSeconds: 10, maxSeconds: 10 ** 9, random: () => 0.999 })).toBeLessThanOrEqual(MAX_VISIBILITY_SECONDS);
  });

  test('is never below one second (no tight loop), whatever the inputs', () => {
    for (const attempt of [0, -3, 1, 1.5, NaN]) {
      expect(backoffSeconds(attempt, { baseSeconds: 1, random: () => 0 })).toBeGreaterThanOrEqual(1);
    }
  });

  test('jitter spreads a burst of retries', () => {
    const values = new Set(Array.from({ length: 200 }, () => backoffSeconds(6, { baseSeconds: 10 })));
    expect(values.size).toBeGreaterThan(20);
    for (const v of values) {
      expect(v).toBeGreaterThanOrEqual(160);
      expect(v).toBeLessThanOrEqual(320);
    }
  });
});
