/**
 * The least instance-time any scaling policy can spend on a trace (docs/benchmarks.md derives it).
 *
 * An instance is billed from launch, and a launch takes `bootSeconds` before it can work. Cut the
 * trace into the stretches where work is present (each image occupies [arrival, arrival + job
 * seconds]; overlapping ones merge) and the gaps between them. Any policy that starts each image on
 * arrival pays:
 * - the work itself: at least `images × jobSeconds ÷ slots` instance-seconds (one instance runs
 *   `slots` jobs at once), and at least the length of every work stretch (an instance exists then);
 * - one boot before the first image;
 * - for each gap of length g: either an instance stays through it (≥ g idle) or none does and one
 *   boots again before the next image (≥ `bootSeconds`): at least min(g, boot).
 * So LB₁ = busy + boot + Σ min(gap, boot), with busy = max(Σ stretch lengths, images × job ÷ slots).
 * When the trace needs k instances at once (its busiest `latencyGoal` window holds more work than one
 * instance finishes in it), each of the k boots once: LBₖ = busy + k·boot + Σ min(gap, boot) — gaps
 * are still gaps of the whole fleet, when no instance has work.
 *
 * A policy that idles an instance for exactly `boot` before releasing it (the ski-rental rule) pays
 * per gap g ≤ boot: g; per gap g > boot: boot idle + boot relaunch = 2·boot ≤ 2·min(g, boot). So it
 * stays within 2 × LB by construction; the runtime's early leave on sparse arrivals is argued, and
 * simulated on traces built against it, in docs/benchmarks.md section 4.
 */
export interface LowerBoundInput {
  readonly arrivals: readonly number[];
  /** Wall time of one job from its start to its output (CPU + storage waits), seconds. */
  readonly jobSeconds: number;
  /** Jobs one instance runs at once. */
  readonly slots: number;
  /** Launch to polling (billed), seconds. */
  readonly bootSeconds: number;
  /** The latency goal that fixes how many instances must run at once. */
  readonly latencyGoalSeconds: number;
}

export interface LowerBound {
  readonly instanceHours: number;
  readonly busyHours: number;
  readonly gapHours: number;
  readonly gaps: number;
  /** Instances the busiest latency window needs at once (k). */
  readonly instances: number;
}

export function lowerBound(input: LowerBoundInput): LowerBound {
  const { arrivals, jobSeconds, slots, bootSeconds } = input;
  if (arrivals.length === 0) return { instanceHours: 0, busyHours: 0, gapHours: 0, gaps: 0, instances: 0 };
  let stretchTotal = 0;
  let gapCost = 0;
  let gaps = 0;
  let start = arrivals[0];
  let end = arrivals[0] + jobSeconds;
  for (let i = 1; i < arrivals.length; i++) {
    const a = arrivals[i];
    if (a <= end) { end = Math.max(end, a + jobSeconds); continue; }
    stretchTotal += end - start;
    gapCost += Math.min(a - end, bootSeconds);
    gaps++;
    start = a;
    end = a + jobSeconds;
  }
  stretchTotal += end - start;
  const busy = Math.max(stretchTotal, (arrivals.length * jobSeconds) / slots);
  // The busiest window of the latency goal: one instance finishes goal × slots ÷ job images in it.
  const perInstance = (input.latencyGoalSeconds * slots) / jobSeconds;
  let most = 0;
  for (let i = 0, j = 0; i < arrivals.length; i++) {
    while (arrivals[i] - arrivals[j] > input.latencyGoalSeconds) j++;
    most = Math.max(most, i - j + 1);
  }
  const instances = Math.max(1, Math.ceil(most / perInstance));
  return {
    instanceHours: (busy + instances * bootSeconds + gapCost) / 3600,
    busyHours: busy / 3600,
    gapHours: gapCost / 3600,
    gaps,
    instances,
  };
}
