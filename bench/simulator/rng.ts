/**
 * The simulator's seeded random numbers: the runtime's one RNG (mulberry32), so every run with
 * the same seed replays exactly and local mode's chaos draws from the same generator.
 */
export { SeededRandom } from '../../worker-runtime/src/util/seeded-random';
