/* eslint-disable no-bitwise */
/**
 * The runtime's one seeded random number generator (mulberry32): local mode's chaos (which
 * worker, when) and the simulator (bench/simulator) replay exactly for the same seed.
 */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Exponentially distributed with the given mean. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  /** Log-normal with the given mean and coefficient of variation (stddev ÷ mean). */
  logNormal(mean: number, cv: number): number {
    const sigma2 = Math.log(1 + cv * cv);
    const mu = Math.log(mean) - sigma2 / 2;
    // Box-Muller; 1 - u keeps log() away from 0.
    const u1 = 1 - this.next();
    const u2 = this.next();
    const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    return Math.exp(mu + Math.sqrt(sigma2) * z);
  }
}

/** A seeded source of uniform numbers in [0, 1), as a function (for `random` options). */
export function seededRandom(seed: number): () => number {
  const rng = new SeededRandom(seed);
  return () => rng.next();
}
