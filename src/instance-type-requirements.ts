/**
 * Synth-time check of `allowedInstanceTypes` against the group's attribute-based requirements
 * (Graviton only, vCPU and memory ranges, burstable or not). EC2 silently drops types that do not
 * satisfy the requirements, so a list where none fits is only noticed when the group cannot launch.
 * Only fully named types are judged (e.g. `c7g.large`); a wildcard in the name is left to EC2.
 */

/** What the group's `InstanceRequirements` ask for. */
export interface InstanceTypeRequirements {
  readonly minVcpus: number;
  readonly maxVcpus: number;
  readonly minMemoryMiB: number;
  readonly maxMemoryMiB: number;
  readonly allowBurstable: boolean;
}

/** vCPUs of the Graviton sizes (AWS instance type documentation). */
const SIZE_VCPUS: Record<string, number> = { medium: 1, large: 2, xlarge: 4 };

/** Memory per vCPU in GiB by family letter, for the Graviton families that have a fixed ratio. */
const GIB_PER_VCPU: Record<string, number> = { a: 2, c: 2, m: 4, r: 8, x: 16, i: 8, im: 4, is: 6 };

/** t4g sizes: [vCPUs, GiB] (burstable; the ratio is not fixed). */
const T4G: Record<string, [number, number]> = {
  'nano': [2, 0.5], 'micro': [2, 1], 'small': [2, 2], 'medium': [2, 4], 'large': [2, 8], 'xlarge': [4, 16], '2xlarge': [8, 32],
};

/** `c7g` → { letters: 'c', generation: '7', attributes: 'g' }; undefined for names it cannot read. */
function parseFamily(family: string): { letters: string; attributes: string } | undefined {
  const m = /^([a-z]+)(\d+)([a-z-]*)$/.exec(family);
  return m ? { letters: m[1], attributes: m[3] } : undefined;
}

/** Graviton families: `a1` and every family whose attributes after the generation contain `g` (c7g, x2gd, is4gen). */
export function isGravitonFamily(family: string): boolean {
  const f = parseFamily(family);
  if (!f) return false;
  return family === 'a1' || f.attributes.includes('g');
}

function sizeVcpus(size: string): number | undefined {
  if (size in SIZE_VCPUS) return SIZE_VCPUS[size];
  const m = /^(\d+)xlarge$/.exec(size);
  return m ? Number(m[1]) * 4 : undefined;
}

/**
 * Why `type` can never be launched under `req`, or undefined when it can (or cannot be judged:
 * wildcards, unknown sizes).
 */
export function instanceTypeMismatch(type: string, req: InstanceTypeRequirements): string | undefined {
  const [family, size] = type.split('.');
  if (!family || family.includes('*') || family.includes('?')) return undefined;
  if (!isGravitonFamily(family)) return `${type} is not a Graviton (arm64) type; the workers run the arm64 runtime`;
  if (size === undefined || size.includes('*') || size.includes('?')) return undefined;
  if (size === 'metal' || size.startsWith('metal-')) return `${type} is bare metal, which the group excludes`;
  const parsed = parseFamily(family)!;
  let vcpus: number | undefined;
  let gib: number | undefined;
  if (family === 't4g') {
    if (!req.allowBurstable) return `${type} is burstable; set allowBurstableInstances to use it`;
    [vcpus, gib] = T4G[size] ?? [undefined, undefined];
  } else {
    vcpus = sizeVcpus(size);
    const ratio = GIB_PER_VCPU[parsed.letters] ?? GIB_PER_VCPU[parsed.letters[0]];
    gib = vcpus !== undefined && ratio !== undefined && parsed.letters !== 'hpc' && parsed.letters !== 'g' ? vcpus * ratio : undefined;
  }
  if (vcpus !== undefined && (vcpus < req.minVcpus || vcpus > req.maxVcpus)) {
    return `${type} has ${vcpus} vCPU${vcpus === 1 ? '' : 's'}, outside minVcpus..maxVcpus (${req.minVcpus}..${req.maxVcpus})`;
  }
  if (gib !== undefined && (gib * 1024 < req.minMemoryMiB || gib * 1024 > req.maxMemoryMiB)) {
    return `${type} has ${gib * 1024} MiB of memory, outside minMemoryMiB..maxMemoryMiB (${req.minMemoryMiB}..${req.maxMemoryMiB})`;
  }
  return undefined;
}
