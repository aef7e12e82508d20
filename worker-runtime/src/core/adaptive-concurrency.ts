/**
 * How many jobs a worker runs at once when its concurrency is `auto`. A job spends most of its
 * time waiting for storage (an S3 GET and PUT are tens of milliseconds each; the default handler
 * needs about 2 ms of CPU per image), so one job per vCPU leaves the CPUs idle. The controller
 * raises the limit while the work asks for more slots and the process has CPU and memory to spare,
 * and lowers it on pressure:
 *
 * - slow start: until the first pressure, the limit grows each interval by the factor that would
 *   bring the event loop to `targetUtilisation` if load grew with the slots (at least ×2, at most
 *   ×8), so a worker whose jobs mostly wait for storage reaches the hundreds of slots it needs in
 *   about four intervals instead of seven doublings (on a short backlog those seconds were most of the run);
 * - then additive increase (+1 per interval) while the event loop is below `targetUtilisation`
 *   and every slot was in use (more slots would not help an idle worker);
 * - multiplicative decrease (× 3/4, never below the start value) when the event loop is saturated
 *   (above `highUtilisation`: more jobs would only queue inside the process and delay its timers,
 *   such as visibility renewals);
 * - halving when the resident set exceeds the memory budget.
 *
 * Memory is bounded before it is used, too: a job starts only while the declared sizes of the
 * running jobs' inputs (from their S3 events) fit in `inputBytesBudget`, a quarter of the memory
 * budget (a job holds its input, its output and the handler's working copies), or when no job
 * runs. So small images can use every slot up to `max`, while a few large ones take turns.
 *
 * `decide` is pure (unit-tested); `ProcessLoadSampler` reads the process's own load.
 */
import { performance } from 'perf_hooks';
import { RUNTIME_ENV } from '../contract/runtime-env';

export interface AdaptiveConcurrencyOptions {
  /** Never fewer slots. @default 1 */
  readonly min?: number;
  /** Never more slots. @default 64 */
  readonly max?: number;
  /** The limit at start. @default the number of vCPUs */
  readonly initial?: number;
  /** Additive increase only below this event-loop utilisation. @default 0.85 */
  readonly targetUtilisation?: number;
  /** Decrease above this event-loop utilisation. @default 0.97 */
  readonly highUtilisation?: number;
  /** Resident set size above which the limit is halved. @default 60 % of the host's memory */
  readonly memoryBudgetBytes?: number;
  /**
   * Most bytes of input (declared sizes) held by running jobs; one job always runs, whatever its size.
   * @default a quarter of `memoryBudgetBytes`
   */
  readonly inputBytesBudget?: number;
  /** How often the limit is revised. @default 500 */
  readonly intervalMs?: number;
  /** Where the load comes from. @default this process (`ProcessLoadSampler`); tests pass recorded samples */
  readonly sampler?: LoadSampler;
}

/** The process's load since the previous read. */
export interface LoadSampler {
  read(): { eventLoopUtilisation: number; rssBytes: number };
}

/** What the process did during one interval. */
export interface LoadSample {
  /** Share of the interval the event loop was busy, 0..1 (`performance.eventLoopUtilization`). */
  readonly eventLoopUtilisation: number;
  /** Resident set size at the end of the interval. */
  readonly rssBytes: number;
  /** Every slot was in use at some point of the interval while a received message waited for one. */
  readonly saturated: boolean;
}

export interface ConcurrencyState {
  readonly limit: number;
  /** True until the first pressure: the limit doubles instead of growing by one. */
  readonly slowStart: boolean;
}

export type ResolvedAdaptiveOptions = Required<Omit<AdaptiveConcurrencyOptions, 'sampler'>>;

/** `SPOT_WORKER_MAX_CONCURRENCY`'s default, from the contract's table. */
export const DEFAULT_MAX_CONCURRENCY = RUNTIME_ENV.SPOT_WORKER_MAX_CONCURRENCY.default;

/** Share of the memory budget running jobs' inputs may take (each also needs its output and working copies). */
const INPUT_SHARE_OF_MEMORY_BUDGET = 1 / 4;

export function resolveAdaptiveOptions(o: AdaptiveConcurrencyOptions, cpus: number, totalMemoryBytes: number): ResolvedAdaptiveOptions {
  const min = o.min ?? 1;
  const max = o.max ?? DEFAULT_MAX_CONCURRENCY;
  if (!Number.isInteger(min) || min < 1) throw new Error(`adaptive concurrency: min must be a whole number ≥ 1, got ${o.min}`);
  if (!Number.isInteger(max) || max < min) throw new Error(`adaptive concurrency: max must be a whole number ≥ min (${min}), got ${o.max}`);
  const memoryBudgetBytes = o.memoryBudgetBytes ?? Math.floor(totalMemoryBytes * 0.6);
  const r: ResolvedAdaptiveOptions = {
    min,
    max,
    initial: Math.min(max, Math.max(min, o.initial ?? cpus)),
    targetUtilisation: o.targetUtilisation ?? 0.85,
    highUtilisation: o.highUtilisation ?? 0.97,
    memoryBudgetBytes,
    inputBytesBudget: o.inputBytesBudget ?? Math.floor(memoryBudgetBytes * INPUT_SHARE_OF_MEMORY_BUDGET),
    intervalMs: o.intervalMs ?? 500,
  };
  if (!(r.inputBytesBudget > 0)) throw new Error(`adaptive concurrency: inputBytesBudget must be > 0, got ${o.inputBytesBudget}`);
  if (!(r.targetUtilisation > 0 && r.targetUtilisation < r.highUtilisation && r.highUtilisation <= 1)) {
    throw new Error(`adaptive concurrency: need 0 < targetUtilisation < highUtilisation ≤ 1, got ${r.targetUtilisation} and ${r.highUtilisation}`);
  }
  return r;
}

/** The next limit after one interval. Pure. */
export function decide(state: ConcurrencyState, sample: LoadSample, o: ResolvedAdaptiveOptions): ConcurrencyState {
  const clamp = (n: number): number => Math.min(o.max, Math.max(o.min, n));
  if (sample.rssBytes > o.memoryBudgetBytes) return { limit: clamp(Math.floor(state.limit / 2)), slowStart: false };
  if (sample.eventLoopUtilisation > o.highUtilisation) {
    // Below the start value (the vCPU count) fewer slots would not free any CPU: hold there.
    if (state.limit <= o.initial) return state;
    return { limit: Math.max(o.initial, clamp(Math.floor((state.limit * 3) / 4))), slowStart: false };
  }
  if (!sample.saturated || sample.eventLoopUtilisation >= o.targetUtilisation) return state;
  if (!state.slowStart) return { limit: clamp(state.limit + 1), slowStart: false };
  const factor = Math.min(SLOW_START_MAX_FACTOR, Math.max(2, o.targetUtilisation / Math.max(sample.eventLoopUtilisation, 1e-3)));
  return { limit: clamp(Math.floor(state.limit * factor)), slowStart: true };
}

/** Slow start's largest step: event-loop utilisation is a noisy proxy for a job's CPU share. */
const SLOW_START_MAX_FACTOR = 8;

/** Reads this process's event-loop utilisation and resident set since the previous call. */
export class ProcessLoadSampler implements LoadSampler {
  private last = performance.eventLoopUtilization();

  read(): { eventLoopUtilisation: number; rssBytes: number } {
    const now = performance.eventLoopUtilization();
    const delta = performance.eventLoopUtilization(now, this.last);
    this.last = now;
    return { eventLoopUtilisation: delta.utilization, rssBytes: process.memoryUsage.rss() };
  }
}

/**
 * The Worker's job-slot limit: fixed, or revised every interval by `decide` from the process's
 * own load. The Worker reports saturation (a message waited while every slot was busy) and reads
 * `value` before starting a job; `onChange` lets it start waiting jobs when the limit rises.
 */
export class ConcurrencyLimit {
  private state: ConcurrencyState;
  private saturated = false;
  private timer?: NodeJS.Timeout;
  private readonly options?: ResolvedAdaptiveOptions;
  private readonly sampler?: LoadSampler;

  constructor(
    setting: number | AdaptiveConcurrencyOptions,
    cpus: number,
    totalMemoryBytes: number,
    private readonly onChange: (limit: number, previous: number) => void = () => {},
  ) {
    if (typeof setting === 'number') {
      if (!Number.isInteger(setting) || setting < 1) throw new Error(`concurrency must be a whole number ≥ 1 or 'auto', got ${setting}`);
      this.state = { limit: setting, slowStart: false };
    } else {
      this.options = resolveAdaptiveOptions(setting, cpus, totalMemoryBytes);
      this.sampler = setting.sampler ?? new ProcessLoadSampler();
      this.state = { limit: this.options.initial, slowStart: true };
    }
  }

  get value(): number { return this.state.limit; }
  /** Most declared input bytes running at once (`auto` only; a fixed concurrency is taken as given). */
  get inputBytesBudget(): number | undefined { return this.options?.inputBytesBudget; }
  get adaptive(): boolean { return this.options !== undefined; }

  /** Every slot is busy and a received message waits: more slots could help. */
  markSaturated(): void { this.saturated = true; }

  start(): void {
    if (!this.options || this.timer) return;
    this.sampler!.read();
    this.timer = setInterval(() => this.revise(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private revise(): void {
    const load = this.sampler!.read();
    const previous = this.state.limit;
    this.state = decide(this.state, { ...load, saturated: this.saturated }, this.options!);
    this.saturated = false;
    if (this.state.limit !== previous) this.onChange(this.state.limit, previous);
  }
}
