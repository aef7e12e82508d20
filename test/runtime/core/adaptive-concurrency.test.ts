import {
  ConcurrencyLimit, ConcurrencyState, decide, LoadSample, ProcessLoadSampler, resolveAdaptiveOptions,
} from '../../../worker-runtime/src/core/adaptive-concurrency';

const GiB = 1024 ** 3;
const options = resolveAdaptiveOptions({ max: 64 }, 2, 8 * GiB);
const sample = (s: Partial<LoadSample>): LoadSample => ({ eventLoopUtilisation: 0.2, rssBytes: 200e6, saturated: true, ...s });

function run(state: ConcurrencyState, samples: LoadSample[]): number[] {
  const limits: number[] = [];
  for (const s of samples) {
    state = decide(state, s, options);
    limits.push(state.limit);
  }
  return limits;
}

describe('adaptive concurrency: decide', () => {
  test('defaults: starts at the vCPUs, at least 1 slot, memory budget 60 % of the host, inputs 15 %', () => {
    expect(options).toMatchObject({ min: 1, max: 64, initial: 2, targetUtilisation: 0.85, highUtilisation: 0.97 });
    expect(options.memoryBudgetBytes).toBe(Math.floor(8 * GiB * 0.6));
    // Inputs of running jobs: a quarter of the memory budget (15 % of the host).
    expect(options.inputBytesBudget).toBe(Math.floor(options.memoryBudgetBytes / 4));
    // Without a max: the contract's default, SPOT_WORKER_MAX_CONCURRENCY's whole range.
    expect(resolveAdaptiveOptions({}, 2, 8 * GiB).max).toBe(256);
  });

  test('slow start grows toward the target utilisation in proportion while saturated with room, up to max', () => {
    // 0.85 / 0.2 = 4.25 per interval: 2 → 8 → 34 → 64.
    expect(run({ limit: 2, slowStart: true }, Array(4).fill(sample({})))).toEqual([8, 34, 64, 64]);
    // Nearly idle loop: at most ×8 per interval; close to the target: still at least ×2.
    expect(run({ limit: 2, slowStart: true }, [sample({ eventLoopUtilisation: 0.001 })])).toEqual([16]);
    expect(run({ limit: 4, slowStart: true }, [sample({ eventLoopUtilisation: 0.8 })])).toEqual([8]);
  });

  test('after the first pressure: multiplicative decrease, then one slot per interval', () => {
    const limits = run({ limit: 32, slowStart: true }, [sample({ eventLoopUtilisation: 0.99 }), sample({}), sample({}), sample({})]);
    expect(limits).toEqual([24, 25, 26, 27]);
  });

  test('event-loop pressure never takes it below the start value (the vCPU count); memory pressure can', () => {
    expect(run({ limit: 3, slowStart: true }, [sample({ eventLoopUtilisation: 0.99 })])).toEqual([2]);
    expect(run({ limit: 2, slowStart: true }, Array(3).fill(sample({ eventLoopUtilisation: 0.99 })))).toEqual([2, 2, 2]);
    expect(run({ limit: 2, slowStart: true }, [sample({ rssBytes: options.memoryBudgetBytes + 1 })])).toEqual([1]);
  });

  test('holds between the target and the high mark (the CPU-bound operating point)', () => {
    expect(run({ limit: 20, slowStart: false }, Array(5).fill(sample({ eventLoopUtilisation: 0.9 })))).toEqual([20, 20, 20, 20, 20]);
  });

  test('does not grow while slots are left unused (no demand), whatever the load', () => {
    expect(run({ limit: 3, slowStart: true }, Array(3).fill(sample({ saturated: false, eventLoopUtilisation: 0.05 })))).toEqual([3, 3, 3]);
  });

  test('memory over budget halves the limit, never below min', () => {
    const over = sample({ rssBytes: options.memoryBudgetBytes + 1 });
    expect(run({ limit: 40, slowStart: false }, Array(7).fill(over))).toEqual([20, 10, 5, 2, 1, 1, 1]);
  });

  test('a worker whose jobs mostly wait for storage climbs to the slots its CPU can use and stays there', () => {
    // A model worker: event-loop utilisation = limit × cpu ÷ (cpu + wait) per slot, capped at 1.
    const cpuMs = 2.4;
    const waitMs = 160;
    let state: ConcurrencyState = { limit: 2, slowStart: true };
    const seen: number[] = [];
    for (let i = 0; i < 200; i++) {
      const elu = Math.min(1, (state.limit * cpuMs) / (cpuMs + waitMs));
      state = decide(state, sample({ eventLoopUtilisation: elu }), options);
      if (i >= 100) seen.push(state.limit);
    }
    // ELU reaches 0.85 at about 58 slots; max 64 caps it below the high mark here.
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(48);
  });

  test('rejects settings that cannot work, saying which', () => {
    expect(() => resolveAdaptiveOptions({ min: 0 }, 2, GiB)).toThrow(/min must be a whole number ≥ 1/);
    expect(() => resolveAdaptiveOptions({ min: 4, max: 2 }, 2, GiB)).toThrow(/max must be a whole number ≥ min \(4\)/);
    expect(() => resolveAdaptiveOptions({ targetUtilisation: 0.99 }, 2, GiB)).toThrow(/targetUtilisation < highUtilisation/);
  });
});

describe('ConcurrencyLimit', () => {
  test('a fixed limit never changes and is validated', () => {
    const l = new ConcurrencyLimit(3, 2, GiB);
    expect([l.value, l.adaptive]).toEqual([3, false]);
    expect(() => new ConcurrencyLimit(0, 2, GiB)).toThrow(/whole number ≥ 1 or 'auto'/);
  });

  test('an adaptive limit follows its load samples (recorded here, not this machine\'s) and reports each change', async () => {
    // The baseline read at start, then: a loop at 0.2 twice (slow start ×4.25), then a saturated loop (3/4, not below the start), then 0.2 again (+1).
    const recorded = [0, 0.2, 0.2, 0.99, 0.2].map((eventLoopUtilisation) => ({ eventLoopUtilisation, rssBytes: 100e6 }));
    let reads = 0;
    const sampler = { read: () => recorded[Math.min(reads++, recorded.length - 1)] };
    const changes: Array<[number, number]> = [];
    const l = new ConcurrencyLimit({ intervalMs: 5, max: 64, sampler }, 2, 64 * GiB, (n, p) => changes.push([n, p]));
    jest.useFakeTimers();
    try {
      l.start(); // reads once to set the baseline
      for (let i = 0; i < 4; i++) {
        l.markSaturated();
        jest.advanceTimersByTime(5);
      }
    } finally {
      l.stop();
      jest.useRealTimers();
    }
    expect(changes).toEqual([[8, 2], [34, 8], [25, 34], [26, 25]]);
  });

  test('the process sampler reads sane values', () => {
    const s = new ProcessLoadSampler().read();
    expect(s.eventLoopUtilisation).toBeGreaterThanOrEqual(0);
    expect(s.eventLoopUtilisation).toBeLessThanOrEqual(1);
    expect(s.rssBytes).toBeGreaterThan(0);
  });

});
