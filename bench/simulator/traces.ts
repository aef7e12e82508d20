/**
 * Upload traces replayed through every policy: arrival times in seconds from the start of the run.
 * Each trace also fixes the horizon, so that policies are charged for the same wall-clock span.
 */
import { SeededRandom } from './rng';

export interface Trace {
  readonly name: string;
  readonly description: string;
  /** Arrival times in seconds, ascending. */
  readonly arrivals: number[];
  /** The simulated span in seconds (instance-hours are counted until then). */
  readonly horizonSeconds: number;
}

/** A burst: `count` images uploaded within `spreadSeconds`, starting at `startSeconds`. */
export function burstTrace(seed: number, count = 2000, startSeconds = 600, spreadSeconds = 120, horizonSeconds = 3 * 3600): Trace {
  const rng = new SeededRandom(seed);
  const arrivals = Array.from({ length: count }, () => startSeconds + rng.next() * spreadSeconds).sort((a, b) => a - b);
  return {
    name: 'burst',
    description: `${count} images uploaded within ${spreadSeconds / 60} min, then nothing (${horizonSeconds / 3600} h simulated)`,
    arrivals,
    horizonSeconds,
  };
}

/**
 * A working day: a Poisson process whose rate follows a sine from zero at night to `peakPerMinute`
 * at 14:00 (rate = peak × max(0, sin(π (h − 7) / 14)) between 07:00 and 21:00, zero otherwise).
 */
export function diurnalTrace(seed: number, peakPerMinute = 30, horizonSeconds = 24 * 3600): Trace {
  const rng = new SeededRandom(seed);
  const rate = (t: number): number => {
    const h = t / 3600;
    return h < 7 || h > 21 ? 0 : (peakPerMinute / 60) * Math.max(0, Math.sin((Math.PI * (h - 7)) / 14));
  };
  // Thinning (Lewis–Shedler): candidates at the peak rate, each kept with probability rate(t)/peak.
  const peak = peakPerMinute / 60;
  const arrivals: number[] = [];
  let t = 0;
  for (;;) {
    t += rng.exponential(1 / peak);
    if (t >= horizonSeconds) break;
    if (rng.next() < rate(t) / peak) arrivals.push(t);
  }
  return {
    name: 'diurnal',
    description: `a day: Poisson uploads from 07:00 to 21:00 peaking at ${peakPerMinute}/min at 14:00 (${arrivals.length} images, 24 h)`,
    arrivals,
    horizonSeconds,
  };
}

/** A trickle: one image every `meanGapSeconds` on average (exponential gaps) for `activeSeconds`, then quiet. */
export function trickleTrace(seed: number, meanGapSeconds = 300, activeSeconds = 4 * 3600, horizonSeconds = 6 * 3600): Trace {
  const rng = new SeededRandom(seed);
  const arrivals: number[] = [];
  let t = 0;
  for (;;) {
    t += rng.exponential(meanGapSeconds);
    if (t >= activeSeconds) break;
    arrivals.push(t);
  }
  return {
    name: 'trickle',
    description: `one image every ~${meanGapSeconds / 60} min (exponential gaps) for ${activeSeconds / 3600} h, then quiet (${arrivals.length} images, ${horizonSeconds / 3600} h)`,
    arrivals,
    horizonSeconds,
  };
}

/** One image into an idle fleet: does the group go 0 → 1 and back to 0? */
export function singleTrace(atSeconds = 300, horizonSeconds = 3600): Trace {
  return {
    name: 'single',
    description: `one image at ${atSeconds / 60} min into an idle fleet (${horizonSeconds / 3600} h)`,
    arrivals: [atSeconds],
    horizonSeconds,
  };
}

/** One image after a day with no uploads: the queue has gone inactive, so its metrics come back late. */
export function singleAfterIdleTrace(idleSeconds = 24 * 3600, horizonSeconds = idleSeconds + 3600): Trace {
  return {
    name: 'single-after-idle',
    description: `one image after ${idleSeconds / 3600} h without uploads (${horizonSeconds / 3600} h)`,
    arrivals: [idleSeconds],
    horizonSeconds,
  };
}

/**
 * An adversarial trace for the idle release: one image every `periodSeconds` for `count` images. With
 * a period just longer than the idle release (or than a wake, a boot and the early leave together),
 * each image arrives right after the instance of the previous one has left, so every image pays a
 * relaunch: the worst case the rule's bound has to cover.
 */
export function periodicTrace(name: string, periodSeconds: number, count = 120, horizonSeconds = count * periodSeconds + 3600): Trace {
  return {
    name,
    description: `one image every ${periodSeconds.toFixed(0)} s (${count} images; built so that each arrives just after the previous instance left)`,
    arrivals: Array.from({ length: count }, (_, i) => 600 + i * periodSeconds),
    horizonSeconds,
  };
}
