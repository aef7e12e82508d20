/**
 * Maps source keys to output keys: `<outputPrefix><key relative to inputPrefix><extension>`.
 * Injective (nothing is stripped, so `x.photo.jpg` and `y.photo.jpg` never collide) and
 * deterministic (a redelivery overwrites the same output).
 */
import { ConfigError } from './errors';

export interface KeyMappingOptions {
  /** Keys outside it are ignored. `''` accepts every key (except outputs). */
  readonly inputPrefix: string;
  /** Where outputs go; keys under it are never processed (our own outputs). */
  readonly outputPrefix: string;
}

export type KeyDecision =
  | { readonly process: true; readonly relativeKey: string }
  | { readonly process: false; readonly reason: 'own-output' | 'outside-input-prefix' | 'folder-marker' };

export class KeyMapper {
  public readonly inputPrefix: string;
  public readonly outputPrefix: string;

  constructor(options: KeyMappingOptions) {
    this.inputPrefix = options.inputPrefix;
    this.outputPrefix = options.outputPrefix;
    if (this.outputPrefix === '') {
      throw new ConfigError('the output prefix must not be empty: outputs would re-trigger processing (set e.g. processed/)');
    }
    if (this.inputPrefix === this.outputPrefix) {
      throw new ConfigError(`the input and output prefixes are both '${this.inputPrefix}': use different prefixes`);
    }
    if (this.outputPrefix.startsWith(this.inputPrefix) === false && this.inputPrefix.startsWith(this.outputPrefix)) {
      throw new ConfigError(`the input prefix '${this.inputPrefix}' lies inside the output prefix '${this.outputPrefix}': every input would be ignored`);
    }
  }

  /** Whether a source key is work for us, and its path relative to the input prefix. */
  decide(key: string): KeyDecision {
    if (key.startsWith(this.outputPrefix)) return { process: false, reason: 'own-output' };
    if (!key.startsWith(this.inputPrefix)) return { process: false, reason: 'outside-input-prefix' };
    if (key.endsWith('/')) return { process: false, reason: 'folder-marker' };
    return { process: true, relativeKey: key.slice(this.inputPrefix.length) };
  }

  /** The output key of a source key, or undefined when the key is not ours to process. */
  outputKey(key: string, extension: string): string | undefined {
    const d = this.decide(key);
    return d.process ? `${this.outputPrefix}${d.relativeKey}${extension}` : undefined;
  }
}
