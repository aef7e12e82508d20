/**
 * The runtime's configuration, read only from environment variables (docs/architecture.md
 * lists them). Every problem is reported at once, each naming the variable and what to set.
 */
import * as os from 'os';
import { ConfigError } from './errors';
import type { LogLevel } from './logger';

export type HandlerKind = 'image-to-pdf' | 'module' | 'command';
export type MetricsMode = 'cloudwatch' | 'log' | 'none';

export interface RunConfig {
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  /** Bucket outputs are written to; undefined: the event's bucket. */
  readonly outputBucket?: string;
  readonly inputPrefix: string;
  readonly outputPrefix: string;
  readonly handler: HandlerKind;
  readonly handlerModule?: string;
  readonly handlerCommand?: string;
  /** Command handler: extension appended to the output key, and its content type. */
  readonly commandOutputExtension: string;
  readonly commandContentType: string;
  readonly commandTimeoutSeconds: number;
  readonly concurrency: number;
  /** Messages received ahead of a free slot (kept invisible, released on drain). */
  readonly prefetch: number;
  /** Long-poll wait of each receive (20 in production; shorter only to speed up tests). */
  readonly receiveWaitSeconds: number;
  readonly idleGraceSeconds: number;
  readonly autoScalingGroupName?: string;
  readonly lifecycleHookName?: string;
  /** Overrides the instance id from the metadata service (tests, non-EC2 hosts). */
  readonly instanceId?: string;
  readonly metrics: MetricsMode;
  readonly metricsNamespace: string;
  readonly fleetName: string;
  readonly maxImageBytes: number;
  readonly maxImagePixels: number;
  readonly validateDecode: boolean;
  /** 0 disables the metadata-service watcher (not on EC2). */
  readonly imdsPollSeconds: number;
  readonly logLevel: LogLevel;
  /** Lifecycle heartbeat interval while draining: a third of the hook's heartbeat timeout, 1..30 s. */
  readonly lifecycleHeartbeatIntervalSeconds: number;
  /** How long a SIGTERM / rebalance drain may take before remaining jobs are released. */
  readonly drainTimeoutSeconds: number;
  readonly retryBaseSeconds: number;
  readonly retryMaxSeconds: number;
}

type Env = Record<string, string | undefined>;

class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  str(name: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  }

  required(name: string, what: string): string {
    const v = this.str(name);
    if (v === undefined) this.problems.push(`${name} is required: set it to ${what}`);
    return v ?? '';
  }

  /** Prefixes may legitimately be empty (`''` = whole bucket), so only unset means default. */
  prefix(name: string, dflt: string): string {
    const v = this.env[name];
    if (v === undefined) return dflt;
    if (v.startsWith('/')) this.problems.push(`${name}='${v}' must not start with '/': S3 keys have no leading slash`);
    if (v !== '' && !v.endsWith('/')) this.problems.push(`${name}='${v}' must end with '/' (a folder), e.g. '${v}/'`);
    return v;
  }

  int(name: string, dflt: number, min: number, max: number): number {
    const raw = this.str(name);
    if (raw === undefined) return dflt;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      this.problems.push(`${name}='${raw}' must be a whole number from ${min} to ${max}`);
      return dflt;
    }
    return n;
  }

  oneOf<T extends string>(name: string, dflt: T, allowed: readonly T[]): T {
    const raw = this.str(name);
    if (raw === undefined) return dflt;
    if (!(allowed as readonly string[]).includes(raw)) {
      this.problems.push(`${name}='${raw}' must be one of ${allowed.join(', ')}`);
      return dflt;
    }
    return raw as T;
  }

  bool(name: string, dflt: boolean): boolean {
    const raw = this.str(name);
    if (raw === undefined) return dflt;
    if (/^(true|1|yes)$/i.test(raw)) return true;
    if (/^(false|0|no)$/i.test(raw)) return false;
    this.problems.push(`${name}='${raw}' must be true or false`);
    return dflt;
  }
}

function isQueueUrl(v: string): boolean {
  try {
    const u = new URL(v);
    return (u.protocol === 'https:' || u.protocol === 'http:') && u.pathname.split('/').filter(Boolean).length >= 2;
  } catch {
    return false;
  }
}

export function loadRunConfig(env: Env = process.env): RunConfig {
  const r = new Reader(env);
  const queueUrl = r.required('SPOT_WORKER_QUEUE_URL', 'the work queue URL, e.g. https://sqs.us-east-1.amazonaws.com/123456789012/jobs');
  const deadLetterQueueUrl = r.required('SPOT_WORKER_DLQ_URL', 'the dead-letter queue URL (permanent failures are moved there with their reason)');
  for (const [name, v] of [['SPOT_WORKER_QUEUE_URL', queueUrl], ['SPOT_WORKER_DLQ_URL', deadLetterQueueUrl]]) {
    if (v && !isQueueUrl(v)) r.problems.push(`${name}='${v}' is not a queue URL (expected https://sqs.<region>.amazonaws.com/<account>/<name>)`);
  }
  if (queueUrl && queueUrl === deadLetterQueueUrl) r.problems.push('SPOT_WORKER_DLQ_URL must differ from SPOT_WORKER_QUEUE_URL');

  const inputPrefix = r.prefix('SPOT_WORKER_INPUT_PREFIX', 'uploads/');
  const outputPrefix = r.prefix('SPOT_WORKER_OUTPUT_PREFIX', 'processed/');
  if (outputPrefix === '') {r.problems.push("SPOT_WORKER_OUTPUT_PREFIX must not be empty: outputs would re-trigger processing (e.g. 'processed/')");} else if (inputPrefix.startsWith(outputPrefix)) {
    r.problems.push(`SPOT_WORKER_INPUT_PREFIX='${inputPrefix}' lies inside SPOT_WORKER_OUTPUT_PREFIX='${outputPrefix}': every input would be ignored; use separate prefixes`);
  }

  const handler = r.oneOf<HandlerKind>('SPOT_WORKER_HANDLER', 'image-to-pdf', ['image-to-pdf', 'module', 'command']);
  const handlerModule = r.str('SPOT_WORKER_HANDLER_MODULE');
  const handlerCommand = r.str('SPOT_WORKER_HANDLER_COMMAND');
  if (handler === 'module' && !handlerModule) r.problems.push('SPOT_WORKER_HANDLER=module needs SPOT_WORKER_HANDLER_MODULE (path of a JS module exporting a Handler)');
  if (handler === 'command' && !handlerCommand) r.problems.push('SPOT_WORKER_HANDLER=command needs SPOT_WORKER_HANDLER_COMMAND (see docs/handlers.md)');
  const commandOutputExtension = r.str('SPOT_WORKER_OUTPUT_EXTENSION') ?? (handler === 'command' ? '.out' : '.pdf');
  if (!/^\.[A-Za-z0-9._-]{1,32}$/.test(commandOutputExtension)) {
    r.problems.push(`SPOT_WORKER_OUTPUT_EXTENSION='${commandOutputExtension}' must start with '.' and use letters, digits, '.', '_' or '-', e.g. '.pdf'`);
  }

  const asg = r.str('SPOT_WORKER_ASG_NAME');
  const hook = r.str('SPOT_WORKER_LIFECYCLE_HOOK_NAME');
  if (hook && !asg) r.problems.push('SPOT_WORKER_LIFECYCLE_HOOK_NAME needs SPOT_WORKER_ASG_NAME (the group the hook belongs to)');

  const cfg: RunConfig = {
    queueUrl,
    deadLetterQueueUrl,
    outputBucket: r.str('SPOT_WORKER_BUCKET'),
    inputPrefix,
    outputPrefix,
    handler,
    handlerModule,
    handlerCommand,
    commandOutputExtension,
    commandContentType: r.str('SPOT_WORKER_OUTPUT_CONTENT_TYPE') ?? (handler === 'command' ? 'application/octet-stream' : 'application/pdf'),
    commandTimeoutSeconds: r.int('SPOT_WORKER_COMMAND_TIMEOUT_SECONDS', 900, 1, 43_200),
    concurrency: r.int('SPOT_WORKER_CONCURRENCY', Math.max(1, os.cpus().length), 1, 256),
    prefetch: r.int('SPOT_WORKER_PREFETCH', 10, 0, 100),
    receiveWaitSeconds: r.int('SPOT_WORKER_RECEIVE_WAIT_SECONDS', 20, 1, 20),
    idleGraceSeconds: r.int('SPOT_WORKER_IDLE_GRACE_SECONDS', 60, 0, 86_400),
    autoScalingGroupName: asg,
    lifecycleHookName: hook,
    instanceId: r.str('SPOT_WORKER_INSTANCE_ID'),
    metrics: r.oneOf<MetricsMode>('SPOT_WORKER_METRICS', 'cloudwatch', ['cloudwatch', 'log', 'none']),
    metricsNamespace: r.str('SPOT_WORKER_METRICS_NAMESPACE') ?? 'SpotWorkerFleet',
    fleetName: r.str('SPOT_WORKER_FLEET_NAME') ?? 'default',
    maxImageBytes: r.int('SPOT_WORKER_MAX_IMAGE_BYTES', 104_857_600, 1, Number.MAX_SAFE_INTEGER),
    maxImagePixels: r.int('SPOT_WORKER_MAX_IMAGE_PIXELS', 268_402_689, 1, Number.MAX_SAFE_INTEGER),
    validateDecode: r.bool('SPOT_WORKER_VALIDATE_DECODE', false),
    imdsPollSeconds: r.int('SPOT_WORKER_IMDS_POLL_SECONDS', 5, 0, 300),
    logLevel: r.oneOf<LogLevel>('SPOT_WORKER_LOG_LEVEL', 'info', ['debug', 'info', 'warn', 'error']),
    lifecycleHeartbeatIntervalSeconds: Math.min(30, Math.max(1, Math.floor(r.int('SPOT_WORKER_LIFECYCLE_HEARTBEAT_SECONDS', 90, 1, 7_200) / 3))),
    drainTimeoutSeconds: r.int('SPOT_WORKER_DRAIN_TIMEOUT_SECONDS', 90, 1, 7_200),
    retryBaseSeconds: r.int('SPOT_WORKER_RETRY_BASE_SECONDS', 10, 1, 3_600),
    retryMaxSeconds: r.int('SPOT_WORKER_RETRY_MAX_SECONDS', 900, 1, 43_200),
  };
  if (cfg.retryMaxSeconds < cfg.retryBaseSeconds) {
    r.problems.push(`SPOT_WORKER_RETRY_MAX_SECONDS (${cfg.retryMaxSeconds}) must be at least SPOT_WORKER_RETRY_BASE_SECONDS (${cfg.retryBaseSeconds})`);
  }
  if (r.problems.length > 0) {
    throw new ConfigError(`invalid configuration:\n  - ${r.problems.join('\n  - ')}`);
  }
  return cfg;
}
