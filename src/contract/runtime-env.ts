/**
 * The runtime's environment variables: the one table both sides read. The construct writes these
 * into the instance's env file and checks, at synth, every value it writes with `readRuntimeEnv`;
 * the runtime's config loader (worker-runtime/src/core/config.ts) parses the same file with the same
 * function; docs/architecture.md's variable table is generated from it (scripts/contract-docs.ts).
 *
 * No imports: the runtime compiles this file too (through worker-runtime/src/contract, a link to
 * this folder), so it must not depend on aws-cdk-lib or Node.js.
 *
 * To add a variable: add a row here (type, range, default, who sets it, meaning), read it in
 * core/config.ts, run `npx tsx scripts/contract-docs.ts` to regenerate the doc table.
 */

/** Who writes a variable into the env file. */
export type EnvSetter =
  /** The construct, from one of its props or resources (not overridable through `runtimeEnvironment`). */
  | 'construct'
  /** The construct, from the `WorkerHandler` (not overridable either). */
  | 'handler'
  /** The boot script, from the instance metadata (the group name, the instance id). */
  | 'boot'
  /** The user, through the `runtimeEnvironment` prop (or by hand off EC2). */
  | 'user';

interface VarCommon {
  /** What the variable does (the docs' meaning column). */
  readonly meaning: string;
  readonly setBy: EnvSetter;
  /** The construct prop the value comes from, and how that prop is typed (for synth-time messages). */
  readonly prop?: { readonly name: string; readonly type: 'number' | 'Duration' | 'string' | 'boolean' };
  /** The docs' default column when the default is not a literal (computed at run time, or unset). */
  readonly defaultText?: string;
}

/** A whole number within [min, max]. */
export interface IntVar extends VarCommon {
  readonly type: 'int';
  readonly unit?: 'seconds' | 'bytes' | 'pixels' | 'jobs' | 'messages' | 'starts';
  readonly min: number;
  readonly max: number;
  readonly default?: number;
}

/** Free text, optionally with a pattern it must match. */
export interface TextVar extends VarCommon {
  readonly type: 'string';
  readonly default?: string;
  /** When the value must match: the pattern and an example for the message. */
  readonly pattern?: { readonly regex: RegExp; readonly rule: string };
}

/** An S3 key prefix: `''` (the whole bucket) or a folder ending in `/`, with no leading `/`. */
export interface PrefixVar extends VarCommon {
  readonly type: 'prefix';
  readonly default: string;
}

/** A required SQS queue URL. */
export interface QueueUrlVar extends VarCommon {
  readonly type: 'queue-url';
  /** What to set it to, for the "is required" message. */
  readonly required: string;
}

/** One of a fixed set of words. */
export interface ChoiceVar extends VarCommon {
  readonly type: 'choice';
  readonly choices: readonly string[];
  readonly default: string;
}

/** `true`/`1`/`yes` or `false`/`0`/`no` (any case). */
export interface BoolVar extends VarCommon {
  readonly type: 'bool';
  readonly default: boolean;
}

export type EnvVar = IntVar | TextVar | PrefixVar | QueueUrlVar | ChoiceVar | BoolVar;

/** Largest whole number a variable may hold without losing precision. */
const MAX_SAFE = 9_007_199_254_740_991;

/** The default job timeout is this many times the expected processing time... */
export const JOB_TIMEOUT_FACTOR = 20;
/** ...and never below this: it catches a hung handler, not a slow one. */
export const JOB_TIMEOUT_FLOOR_SECONDS = 300;
/** The `command` handler's own timeout fires this long before the job's (it reports `command-failed`). */
export const JOB_TIMEOUT_COMMAND_MARGIN_SECONDS = 60;

/**
 * `SPOT_WORKER_JOB_TIMEOUT_SECONDS` when unset: generous on purpose (a job may wait for storage and
 * share the CPU with the other slots), capped at SQS's 12-hour visibility limit, and longer than the
 * command handler's own timeout so that one speaks first.
 */
export function defaultJobTimeoutSeconds(expectedProcessingSeconds: number, commandTimeoutSeconds?: number): number {
  const derived = Math.max(JOB_TIMEOUT_FLOOR_SECONDS, JOB_TIMEOUT_FACTOR * expectedProcessingSeconds,
    commandTimeoutSeconds === undefined ? 0 : commandTimeoutSeconds + JOB_TIMEOUT_COMMAND_MARGIN_SECONDS);
  return Math.min(43_200, Math.ceil(derived));
}

/** The handler kinds of `SPOT_WORKER_HANDLER`. */
export const HANDLER_KINDS = ['image-to-pdf', 'module', 'command'] as const;
export type HandlerKind = typeof HANDLER_KINDS[number];

/** Where the runtime's metrics go (`SPOT_WORKER_METRICS`). */
export const METRICS_MODES = ['cloudwatch', 'log', 'none'] as const;
export type MetricsMode = typeof METRICS_MODES[number];

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevelName = typeof LOG_LEVELS[number];

/**
 * Every variable the runtime reads, in the docs' order. Standard AWS variables (`AWS_REGION`,
 * `AWS_ENDPOINT_URL*`, ...) are the SDK's and not listed.
 */
export const RUNTIME_ENV = {
  SPOT_WORKER_QUEUE_URL: {
    type: 'queue-url',
    setBy: 'construct',
    meaning: 'the work queue',
    required: 'the work queue URL, e.g. https://sqs.us-east-1.amazonaws.com/123456789012/jobs',
  },
  SPOT_WORKER_DLQ_URL: {
    type: 'queue-url',
    setBy: 'construct',
    meaning: 'the dead-letter queue; permanent failures are sent here with their reason',
    required: 'the dead-letter queue URL (permanent failures are moved there with their reason)',
  },
  SPOT_WORKER_BUCKET: {
    type: 'string', setBy: 'construct', meaning: 'the bucket outputs are written to (inputs come from the event)', defaultText: "the event's bucket",
  },
  SPOT_WORKER_INPUT_PREFIX: {
    type: 'prefix',
    setBy: 'construct',
    prop: { name: 'inputPrefix', type: 'string' },
    default: 'uploads/',
    meaning: 'events for keys outside it are acknowledged without work',
  },
  SPOT_WORKER_OUTPUT_PREFIX: {
    type: 'prefix',
    setBy: 'construct',
    prop: { name: 'outputPrefix', type: 'string' },
    default: 'processed/',
    meaning: 'outputs go to `<output prefix><key relative to input prefix><extension>`; must not be empty',
  },
  SPOT_WORKER_HANDLER: {
    type: 'choice', setBy: 'handler', choices: HANDLER_KINDS, default: 'image-to-pdf', meaning: 'the handler: `image-to-pdf`, `module`, or `command`',
  },
  SPOT_WORKER_HANDLER_MODULE: {
    type: 'string', setBy: 'handler', meaning: 'path of a JS module exporting a `Handler` (for `module`)', defaultText: '—',
  },
  SPOT_WORKER_HANDLER_COMMAND: {
    type: 'string', setBy: 'handler', meaning: 'command run per object (for `command`), see docs/handlers.md', defaultText: '—',
  },
  SPOT_WORKER_OUTPUT_EXTENSION: {
    type: 'string',
    setBy: 'handler',
    defaultText: '`.pdf` (`.out` for `command`)',
    meaning: 'extension appended to the output key',
    pattern: { regex: /^\.[A-Za-z0-9._-]{1,32}$/, rule: "must start with '.' and use letters, digits, '.', '_' or '-', e.g. '.pdf'" },
  },
  SPOT_WORKER_OUTPUT_CONTENT_TYPE: {
    type: 'string', setBy: 'handler', defaultText: '`application/pdf` (`application/octet-stream` for `command`)', meaning: 'content type of the outputs',
  },
  SPOT_WORKER_COMMAND_TIMEOUT_SECONDS: {
    type: 'int', setBy: 'handler', unit: 'seconds', min: 1, max: 43_200, default: 900, meaning: 'per-object timeout of the `command` handler',
  },
  SPOT_WORKER_EXPECTED_PROCESSING_SECONDS: {
    type: 'int',
    setBy: 'construct',
    prop: { name: 'expectedProcessingTime', type: 'Duration' },
    unit: 'seconds',
    min: 1,
    max: 43_200,
    default: 10,
    meaning: 'the expected processing time of one message (whole seconds, rounded up); the default job timeout is derived from it',
  },
  SPOT_WORKER_JOB_TIMEOUT_SECONDS: {
    type: 'int',
    setBy: 'user',
    unit: 'seconds',
    min: 1,
    max: 43_200,
    defaultText: `max(${JOB_TIMEOUT_FLOOR_SECONDS}, ${JOB_TIMEOUT_FACTOR} × \`SPOT_WORKER_EXPECTED_PROCESSING_SECONDS\`), at most 43,200; for \`command\` at least \`SPOT_WORKER_COMMAND_TIMEOUT_SECONDS\` + ${JOB_TIMEOUT_COMMAND_MARGIN_SECONDS}`,
    meaning: 'longest run of one job (download, handler, upload); past it the handler is aborted, its slot freed, and the message retried with backoff, or dead-lettered as `timed-out` on the queue\'s last receive',
  },
  SPOT_WORKER_CONCURRENCY: {
    type: 'int',
    setBy: 'construct',
    prop: { name: 'concurrency', type: 'number' },
    unit: 'jobs',
    min: 1,
    max: 256,
    defaultText: 'adaptive',
    meaning: 'jobs running at once per instance, fixed; unset: adaptive, from the vCPU count up while the event loop and memory have room (docs/runtime.md)',
  },
  SPOT_WORKER_MAX_CONCURRENCY: {
    type: 'int',
    setBy: 'user',
    unit: 'jobs',
    min: 1,
    max: 256,
    default: 256,
    meaning: 'most jobs the adaptive concurrency runs at once (unused when `SPOT_WORKER_CONCURRENCY` is set); whatever this allows, running jobs\' inputs (their sizes in the S3 events) stay within 15 % of the instance\'s memory',
  },
  SPOT_WORKER_PREFETCH: {
    type: 'int',
    setBy: 'user',
    unit: 'messages',
    min: 0,
    max: 100,
    default: 10,
    meaning: 'messages received ahead of a free slot (kept invisible, released first on drain); `0`: receive only for free slots',
  },
  SPOT_WORKER_RECEIVE_WAIT_SECONDS: {
    type: 'int', setBy: 'user', unit: 'seconds', min: 1, max: 20, default: 20, meaning: 'long-poll wait (lower only to speed up tests)',
  },
  SPOT_WORKER_IDLE_GRACE_SECONDS: {
    type: 'int',
    setBy: 'construct',
    prop: { name: 'idleGracePeriod', type: 'Duration' },
    unit: 'seconds',
    min: 0,
    max: 86_400,
    default: 60,
    meaning: 'scale-in protection is cleared after this long idle',
  },
  SPOT_WORKER_IDLE_RELEASE_SECONDS: {
    type: 'int',
    setBy: 'construct',
    prop: { name: 'idleReleaseAfter', type: 'Duration' },
    unit: 'seconds',
    min: 0,
    max: 86_400,
    default: 90,
    meaning: 'an idle worker ends its own instance (TerminateInstanceInAutoScalingGroup, decrementing the desired capacity) after this long idle with the queue empty (visible and in flight); 0 never',
  },
  SPOT_WORKER_IDLE_RELEASE_EARLY: {
    type: 'bool',
    setBy: 'construct',
    prop: { name: 'idleReleaseEarly', type: 'boolean' },
    default: true,
    meaning: 'an idle worker whose messages arrived on average further apart than the idle release time leaves as soon as it is idle with the queue empty (5 s), not after the full time (docs/benchmarks.md, section 4)',
  },
  SPOT_WORKER_ASG_NAME: {
    type: 'string', setBy: 'boot', meaning: 'the Auto Scaling group (enables protection and lifecycle handling)', defaultText: 'unset: none',
  },
  SPOT_WORKER_LIFECYCLE_HOOK_NAME: {
    type: 'string', setBy: 'boot', meaning: 'the termination lifecycle hook to complete (needs `SPOT_WORKER_ASG_NAME`)', defaultText: 'unset',
  },
  SPOT_WORKER_LIFECYCLE_HEARTBEAT_SECONDS: {
    type: 'int',
    setBy: 'construct',
    prop: { name: 'drainTimeout', type: 'Duration' },
    unit: 'seconds',
    min: 1,
    max: 7_200,
    default: 90,
    defaultText: 'unset: the drain timeout (heartbeats every 30 s)',
    meaning: "the hook's heartbeat timeout; bounds a lifecycle `Terminated` drain (heartbeats every third of it, 1–30 s)",
  },
  SPOT_WORKER_LAUNCH_HOOK_NAME: {
    type: 'string',
    setBy: 'construct',
    meaning: 'the launching lifecycle hook the runtime completes (`CONTINUE`) once it is ready to work; the group puts the instance in service only then (needs `SPOT_WORKER_ASG_NAME`)',
    defaultText: 'unset: none',
  },
  SPOT_WORKER_START_LIMIT: {
    type: 'int',
    setBy: 'user',
    unit: 'starts',
    min: 1,
    max: 100,
    default: 5,
    meaning: 'starts of the runtime within `SPOT_WORKER_START_WINDOW_SECONDS` after which it marks its instance unhealthy so the group replaces it (counted in the state directory)',
  },
  SPOT_WORKER_START_WINDOW_SECONDS: {
    type: 'int',
    setBy: 'user',
    unit: 'seconds',
    min: 60,
    max: 86_400,
    default: 600,
    meaning: 'the window `SPOT_WORKER_START_LIMIT` counts starts in',
  },
  SPOT_WORKER_STATE_DIRECTORY: {
    type: 'string',
    setBy: 'user',
    defaultText: "systemd's `$STATE_DIRECTORY` (the unit's `StateDirectory=spot-worker`: `/var/lib/spot-worker`); neither: starts are not counted",
    meaning: 'where the runtime keeps what must outlive a restart (the start ledger)',
  },
  SPOT_WORKER_LOG_GROUP: {
    type: 'string',
    setBy: 'construct',
    meaning: 'CloudWatch Logs group the runtime ships its log lines to (one stream per instance); unset: the journal only',
    defaultText: 'unset: journal only',
  },
  SPOT_WORKER_INSTANCE_ID: {
    type: 'string', setBy: 'boot', meaning: "this instance's id for protection/lifecycle calls (off EC2, tests)", defaultText: 'read from IMDS',
  },
  SPOT_WORKER_METRICS: {
    type: 'choice', setBy: 'user', choices: METRICS_MODES, default: 'cloudwatch', meaning: '`cloudwatch`, `log` (aggregated log lines) or `none`',
  },
  SPOT_WORKER_METRICS_NAMESPACE: {
    type: 'string', setBy: 'construct', prop: { name: 'metricsNamespace', type: 'string' }, default: 'SpotWorkerFleet', meaning: 'CloudWatch namespace',
  },
  SPOT_WORKER_FLEET_NAME: {
    type: 'string', setBy: 'construct', prop: { name: 'fleetName', type: 'string' }, default: 'default', meaning: 'the `Fleet` dimension of every metric',
  },
  SPOT_WORKER_MAX_IMAGE_BYTES: {
    type: 'int', setBy: 'user', unit: 'bytes', min: 1, max: MAX_SAFE, default: 104_857_600, meaning: 'larger inputs fail permanently (100 MiB)',
  },
  SPOT_WORKER_MAX_IMAGE_PIXELS: {
    type: 'int', setBy: 'user', unit: 'pixels', min: 1, max: MAX_SAFE, default: 268_402_689, meaning: "larger images fail permanently (sharp's default)",
  },
  SPOT_WORKER_VALIDATE_DECODE: {
    type: 'bool', setBy: 'user', default: false, meaning: '`true` fully decodes each JPEG to catch corruption inside the data',
  },
  SPOT_WORKER_IMDS_POLL_SECONDS: {
    type: 'int', setBy: 'user', unit: 'seconds', min: 0, max: 300, default: 5, meaning: 'interruption poll interval, `0` turns the watcher off (docs/spot-interruptions.md)',
  },
  SPOT_WORKER_DRAIN_TIMEOUT_SECONDS: {
    type: 'int', setBy: 'user', unit: 'seconds', min: 1, max: 7_200, default: 90, meaning: 'drain deadline when the notice has none (SIGTERM, rebalance, lifecycle)',
  },
  SPOT_WORKER_RETRY_BASE_SECONDS: {
    type: 'int', setBy: 'user', unit: 'seconds', min: 1, max: 3_600, default: 10, meaning: 'first transient-retry delay (through visibility)',
  },
  SPOT_WORKER_RETRY_MAX_SECONDS: {
    type: 'int', setBy: 'user', unit: 'seconds', min: 1, max: 43_200, default: 900, meaning: 'longest transient-retry delay; at least the base',
  },
  SPOT_WORKER_LOG_LEVEL: {
    type: 'choice', setBy: 'user', choices: LOG_LEVELS, default: 'info', meaning: '`debug`, `info`, `warn`, `error`',
  },
} as const satisfies Record<string, EnvVar>;

export type RuntimeEnvName = keyof typeof RUNTIME_ENV;

/** The parsed value of one variable: defaults applied where the table has one. */
type ValueOf<V> =
  V extends { type: 'int'; default: number } ? number :
    V extends { type: 'int' } ? number | undefined :
      V extends { type: 'choice'; choices: readonly (infer C)[] } ? C :
        V extends { type: 'bool' } ? boolean :
          V extends { type: 'prefix' | 'queue-url' } ? string :
            V extends { type: 'string'; default: string } ? string :
              string | undefined;

export type RuntimeEnvValues = { readonly [K in RuntimeEnvName]: ValueOf<typeof RUNTIME_ENV[K]> };

/** One thing wrong with the environment: the variable to change and what is wrong with it. */
export interface EnvProblem {
  readonly variable: RuntimeEnvName;
  readonly message: string;
}

export interface RuntimeEnvReading {
  readonly values: RuntimeEnvValues;
  readonly problems: EnvProblem[];
}

export interface ReadOptions {
  /**
   * Values only known at deploy time (CloudFormation tokens at synth): taken as they are, not checked.
   * The construct passes `Token.isUnresolved`; the runtime reads real values and passes nothing.
   */
  readonly isDeployTime?: (value: string) => boolean;
}

function isQueueUrl(v: string): boolean {
  try {
    const u = new URL(v);
    return (u.protocol === 'https:' || u.protocol === 'http:') && u.pathname.split('/').filter(Boolean).length >= 2;
  } catch {
    return false;
  }
}

/** Parses one present, non-blank value; returns the value or the problem's text. */
function parseValue(name: string, spec: EnvVar, raw: string): { value: unknown } | { problem: string } {
  switch (spec.type) {
    case 'int': {
      const n = Number(raw);
      if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(n) || n < spec.min || n > spec.max) {
        return { problem: `${name}='${raw}' must be a whole number from ${spec.min} to ${spec.max}` };
      }
      return { value: n };
    }
    case 'choice':
      return spec.choices.includes(raw) ? { value: raw } : { problem: `${name}='${raw}' must be one of ${spec.choices.join(', ')}` };
    case 'bool':
      if (/^(true|1|yes)$/i.test(raw)) return { value: true };
      if (/^(false|0|no)$/i.test(raw)) return { value: false };
      return { problem: `${name}='${raw}' must be true or false` };
    case 'queue-url':
      return isQueueUrl(raw) ? { value: raw } : { problem: `${name}='${raw}' is not a queue URL (expected https://sqs.<region>.amazonaws.com/<account>/<name>)` };
    case 'string':
      return !spec.pattern || spec.pattern.regex.test(raw) ? { value: raw } : { problem: `${name}='${raw}' ${spec.pattern.rule}` };
    case 'prefix':
      // Prefixes are not trimmed: '' is a value (the whole bucket), only unset means default.
      if (raw.startsWith('/')) return { problem: `${name}='${raw}' must not start with '/': S3 keys have no leading slash` };
      if (raw !== '' && !raw.endsWith('/')) return { problem: `${name}='${raw}' must end with '/' (a folder), e.g. '${raw}/'` };
      return { value: raw };
  }
}

/** Reads the named variables (defaults applied, problems collected); no rule that spans variables. */
function readVariables(
  env: Record<string, string | undefined>, names: readonly RuntimeEnvName[], problems: EnvProblem[], options: ReadOptions, deployTime: Set<string>,
): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const name of names) {
    const spec: EnvVar = RUNTIME_ENV[name];
    const present = env[name];
    const raw = spec.type === 'prefix' ? present : present?.trim();
    if (raw === undefined || (spec.type !== 'prefix' && raw === '')) {
      if (spec.type === 'queue-url') problems.push({ variable: name, message: `${name} is required: set it to ${spec.required}` });
      values[name] = spec.type === 'queue-url' ? '' : (spec as { default?: unknown }).default;
      continue;
    }
    if (options.isDeployTime?.(raw)) {
      deployTime.add(name);
      values[name] = raw;
      continue;
    }
    const parsed = parseValue(name, spec, raw);
    if ('problem' in parsed) {
      problems.push({ variable: name, message: parsed.problem });
      values[name] = (spec as { default?: unknown }).default;
    } else {
      values[name] = parsed.value;
    }
  }
  return values;
}

/**
 * Reads some of the table's variables, by the same rules as `readRuntimeEnv` (for a part of the
 * runtime that a user can also build alone, e.g. the image handler's options from the environment).
 */
export function readRuntimeEnvSubset<N extends RuntimeEnvName>(
  env: Record<string, string | undefined>, names: readonly N[],
): { readonly values: Pick<RuntimeEnvValues, N>; readonly problems: EnvProblem[] } {
  const problems: EnvProblem[] = [];
  const values = readVariables(env, names, problems, {}, new Set());
  return { values: values as Pick<RuntimeEnvValues, N>, problems };
}

/**
 * Reads every variable of the table from `env`, applying defaults, and checks the rules that span
 * variables. Never throws: the caller decides how to report the problems (the runtime exits with
 * a configuration error, the construct fails the synth).
 */
export function readRuntimeEnv(env: Record<string, string | undefined>, options: ReadOptions = {}): RuntimeEnvReading {
  const problems: EnvProblem[] = [];
  const deployTime = new Set<string>();
  const values = readVariables(env, Object.keys(RUNTIME_ENV) as RuntimeEnvName[], problems, options, deployTime);
  const v = values as RuntimeEnvValues;
  const known = (...names: RuntimeEnvName[]): boolean => names.every((n) => !deployTime.has(n));

  if (v.SPOT_WORKER_QUEUE_URL && v.SPOT_WORKER_QUEUE_URL === v.SPOT_WORKER_DLQ_URL) {
    problems.push({ variable: 'SPOT_WORKER_DLQ_URL', message: 'SPOT_WORKER_DLQ_URL must differ from SPOT_WORKER_QUEUE_URL' });
  }
  if (known('SPOT_WORKER_OUTPUT_PREFIX', 'SPOT_WORKER_INPUT_PREFIX')) {
    if (v.SPOT_WORKER_OUTPUT_PREFIX === '') {
      problems.push({ variable: 'SPOT_WORKER_OUTPUT_PREFIX', message: "SPOT_WORKER_OUTPUT_PREFIX must not be empty: outputs would re-trigger processing (e.g. 'processed/')" });
    } else if (v.SPOT_WORKER_INPUT_PREFIX.startsWith(v.SPOT_WORKER_OUTPUT_PREFIX)) {
      problems.push({
        variable: 'SPOT_WORKER_INPUT_PREFIX',
        message: `SPOT_WORKER_INPUT_PREFIX='${v.SPOT_WORKER_INPUT_PREFIX}' lies inside SPOT_WORKER_OUTPUT_PREFIX='${v.SPOT_WORKER_OUTPUT_PREFIX}': every input would be ignored; use separate prefixes`,
      });
    }
  }
  if (v.SPOT_WORKER_HANDLER === 'module' && !v.SPOT_WORKER_HANDLER_MODULE) {
    problems.push({ variable: 'SPOT_WORKER_HANDLER_MODULE', message: 'SPOT_WORKER_HANDLER=module needs SPOT_WORKER_HANDLER_MODULE (path of a JS module exporting a Handler)' });
  }
  if (v.SPOT_WORKER_HANDLER === 'command' && !v.SPOT_WORKER_HANDLER_COMMAND) {
    problems.push({ variable: 'SPOT_WORKER_HANDLER_COMMAND', message: 'SPOT_WORKER_HANDLER=command needs SPOT_WORKER_HANDLER_COMMAND (see docs/handlers.md)' });
  }
  if (v.SPOT_WORKER_LIFECYCLE_HOOK_NAME && !v.SPOT_WORKER_ASG_NAME) {
    problems.push({ variable: 'SPOT_WORKER_ASG_NAME', message: 'SPOT_WORKER_LIFECYCLE_HOOK_NAME needs SPOT_WORKER_ASG_NAME (the group the hook belongs to)' });
  }
  if (v.SPOT_WORKER_LAUNCH_HOOK_NAME && !v.SPOT_WORKER_ASG_NAME) {
    problems.push({ variable: 'SPOT_WORKER_ASG_NAME', message: 'SPOT_WORKER_LAUNCH_HOOK_NAME needs SPOT_WORKER_ASG_NAME (the group the hook belongs to)' });
  }
  if (known('SPOT_WORKER_RETRY_BASE_SECONDS', 'SPOT_WORKER_RETRY_MAX_SECONDS') && v.SPOT_WORKER_RETRY_MAX_SECONDS < v.SPOT_WORKER_RETRY_BASE_SECONDS) {
    problems.push({
      variable: 'SPOT_WORKER_RETRY_MAX_SECONDS',
      message: `SPOT_WORKER_RETRY_MAX_SECONDS (${v.SPOT_WORKER_RETRY_MAX_SECONDS}) must be at least SPOT_WORKER_RETRY_BASE_SECONDS (${v.SPOT_WORKER_RETRY_BASE_SECONDS})`,
    });
  }
  return { values: v, problems };
}

/** The variables a `setBy` writes (e.g. what `runtimeEnvironment` must not override). */
export function variablesSetBy(...setters: EnvSetter[]): RuntimeEnvName[] {
  return (Object.keys(RUNTIME_ENV) as RuntimeEnvName[]).filter((n) => setters.includes(RUNTIME_ENV[n].setBy));
}
