import { Token } from 'aws-cdk-lib';
import { EnvProblem, readRuntimeEnv, RUNTIME_ENV, variablesSetBy } from './contract/runtime-env';

/** Variables a `WorkerHandler` may set. */
export const HANDLER_ENV: ReadonlySet<string> = new Set(variablesSetBy('handler'));

/** Variables the construct, its handler or the boot script set (not overridable through `runtimeEnvironment`). */
export const OWNED_ENV: ReadonlySet<string> = new Set(['AWS_REGION', ...variablesSetBy('construct', 'handler', 'boot')]);

/** What the boot script appends from the instance metadata, standing in for the real values in the check. */
const BOOT_PLACEHOLDERS: Record<string, string> = {
  SPOT_WORKER_ASG_NAME: 'group-name-from-imds',
  SPOT_WORKER_INSTANCE_ID: 'i-0123456789abcdef0',
};

/**
 * Fails the synth when the runtime would reject the env file the construct is about to write
 * (it would exit with a configuration error and systemd would restart it forever on a billed
 * instance). The check is the runtime's own (contract/runtime-env.ts); values only known at deploy
 * time (tokens: queue URLs, the bucket name) are taken as valid. Each message names the prop to change.
 */
export function assertRuntimeAccepts(environment: Record<string, string>, bootSet: Record<string, string>): void {
  const { problems } = readRuntimeEnv({ ...BOOT_PLACEHOLDERS, ...bootSet, ...environment }, { isDeployTime: (v) => Token.isUnresolved(v) });
  if (problems.length > 0) {
    throw new Error(`QueueDrivenSpotWorkerFleet: invalid props (the worker runtime would reject its configuration):\n- ${problems.map((p) => inPropTerms(p, environment)).join('\n- ')}`);
  }
}

function inPropTerms(problem: EnvProblem, environment: Record<string, string>): string {
  const spec = RUNTIME_ENV[problem.variable];
  const raw = environment[problem.variable];
  if (spec.setBy === 'user') return `runtimeEnvironment: ${problem.message}.`;
  if (spec.setBy === 'handler') return `handler: ${problem.message}.`;
  const prop = 'prop' in spec ? spec.prop : undefined;
  if (!prop) return `${problem.message}.`;
  if (spec.type === 'int' && prop.type === 'Duration') {
    return `${prop.name} must be a whole number of seconds from ${spec.min} to ${spec.max} (${humanSeconds(spec.max)}), got ${raw} seconds: ` +
      `the runtime reads it as ${problem.variable}. Use e.g. Duration.seconds(${Math.min(spec.max, Math.max(spec.min, Math.round(Number(raw)) || spec.min))}).`;
  }
  if (spec.type === 'int') {
    return `${prop.name} must be an integer >= ${spec.min} and <= ${spec.max} (the runtime's ${problem.variable}), got ${raw}.`;
  }
  return `${prop.name}: ${problem.message}.`;
}

function humanSeconds(s: number): string {
  const units: Array<[number, string]> = [[86_400, 'day'], [3_600, 'hour'], [60, 'minute']];
  for (const [size, name] of units) {
    if (s >= size && s % size === 0) return `${s / size} ${name}${s / size === 1 ? '' : 's'}`;
  }
  return `${s} seconds`;
}
