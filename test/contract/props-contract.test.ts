/**
 * Property: the construct and the runtime agree on every worker setting (issue 9).
 *
 * Props are drawn within and just outside their documented ranges. For each set:
 * - if it synthesizes, the env file of the launch template is accepted by the runtime's own config
 *   loader (worker-runtime/src/core/config.ts), with the values the props asked for;
 * - if the runtime would reject the environment these props ask for, the synth fails with a
 *   message of the construct's (never a template whose worker exits with a configuration error).
 *
 * Bounded: each run synthesizes one stack (~0.3 s), so the run count is kept modest.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as fc from 'fast-check';
import { QueueDrivenSpotWorkerFleet, QueueDrivenSpotWorkerFleetProps, WorkerHandler } from '../../src';
import { loadRunConfig, RunConfig } from '../../worker-runtime/src/core/config';
import { FAKE_BUNDLE } from '../construct/support/fleet-stack';
import { workerEnvOf } from '../construct/support/worker-env';
import { testApp } from '../support/test-app';

const RUNS = 60;

/** Mostly values inside the documented range (its edges and middle), sometimes one just outside it. */
function edgy<T>(inside: T[], outside: T[]): fc.Arbitrary<T> {
  return fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...inside) }, { weight: 1, arbitrary: fc.constantFrom(...outside) });
}
/** A whole-number range: min, middle, max inside; min − 1 and max + 1 (and `extra`) outside. */
const around = (min: number, max: number, extra: number[] = []): fc.Arbitrary<number> =>
  edgy([min, Math.floor((min + max) / 2), max], [min - 1, max + 1, ...extra]);
const maybe = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(a, { nil: undefined, freq: 2 });

/** Variables a user may pass through `runtimeEnvironment`, with values inside and just outside their ranges. */
const runtimeEnvironment: fc.Arbitrary<Record<string, string>> = fc.record({
  SPOT_WORKER_PREFETCH: around(0, 100).map(String),
  SPOT_WORKER_RECEIVE_WAIT_SECONDS: around(1, 20).map(String),
  SPOT_WORKER_IMDS_POLL_SECONDS: around(0, 300).map(String),
  SPOT_WORKER_DRAIN_TIMEOUT_SECONDS: around(1, 7200).map(String),
  SPOT_WORKER_RETRY_BASE_SECONDS: around(1, 3600).map(String),
  SPOT_WORKER_RETRY_MAX_SECONDS: around(1, 43200, [5]).map(String),
  SPOT_WORKER_MAX_IMAGE_BYTES: edgy(['1', '104857600'], ['0', '10MB']),
  SPOT_WORKER_LOG_LEVEL: edgy(['debug', 'warn'], ['verbose']),
  SPOT_WORKER_METRICS: edgy(['log', 'none'], ['stdout']),
  SPOT_WORKER_VALIDATE_DECODE: edgy(['true', 'no'], ['maybe']),
}, { requiredKeys: [] });

const handler: fc.Arbitrary<{ label: string; make: () => WorkerHandler } | undefined> = maybe(edgy([
  { label: 'command, timeout 1 s', make: () => WorkerHandler.fromCommand('cp "$SPOT_WORKER_INPUT_FILE" "$SPOT_WORKER_OUTPUT_FILE"', { timeout: Duration.seconds(1) }) },
  { label: 'command, timeout 12 h, .txt', make: () => WorkerHandler.fromCommand('true', { timeout: Duration.hours(12), outputExtension: '.txt' }) },
], [
  { label: 'command, timeout 12 h + 1 s', make: () => WorkerHandler.fromCommand('true', { timeout: Duration.seconds(43_201) }) },
  { label: 'command, extension without dot', make: () => WorkerHandler.fromCommand('true', { outputExtension: 'txt' }) },
]));

interface Case {
  readonly props: QueueDrivenSpotWorkerFleetProps;
  readonly handlerLabel?: string;
  readonly make?: () => WorkerHandler;
}

const cases: fc.Arbitrary<Case> = fc.record({
  inputPrefix: maybe(edgy(['uploads/', 'uploads', 'in/sub/', 'in/sub'], ['', '/x/'])),
  outputPrefix: maybe(edgy(['processed/', 'processed', 'out'], ['', 'uploads/pdf/'])),
  concurrency: maybe(around(1, 256, [2.5, 300])),
  idleGraceSeconds: maybe(edgy([0, 43_200, 86_400], [1.5, 86_401, 172_800])),
  drainSeconds: maybe(edgy([30, 300, 7200], [29, 7201])),
  metricsNamespace: maybe(edgy(['SpotWorkerFleet', 'Custom/Images'], ['AWS/SQS', ''])),
  fleetName: maybe(fc.constantFrom('images', 'my "quoted" fleet')),
  runtimeEnvironment: maybe(runtimeEnvironment),
  handler,
}).map((r) => ({
  props: {
    inputPrefix: r.inputPrefix,
    outputPrefix: r.outputPrefix,
    concurrency: r.concurrency,
    idleGracePeriod: r.idleGraceSeconds === undefined ? undefined : Duration.millis(r.idleGraceSeconds * 1000),
    drainTimeout: r.drainSeconds === undefined ? undefined : Duration.seconds(r.drainSeconds),
    metricsNamespace: r.metricsNamespace,
    fleetName: r.fleetName,
    runtimeEnvironment: r.runtimeEnvironment,
  },
  handlerLabel: r.handler?.label,
  make: r.handler?.make,
}));

/**
 * What the props ask the runtime for, written independently of the construct: the documented
 * meaning of each prop as a runtime variable (prefixes are folders: a missing '/' is added).
 */
function requestedEnvironment(c: Case): Record<string, string> {
  const p = c.props;
  const folder = (s: string): string => (s === '' || s.endsWith('/') ? s : `${s}/`);
  const env: Record<string, string> = {
    SPOT_WORKER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/jobs',
    SPOT_WORKER_DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/jobs-dlq',
    SPOT_WORKER_INPUT_PREFIX: folder(p.inputPrefix ?? 'uploads/'),
    SPOT_WORKER_OUTPUT_PREFIX: folder(p.outputPrefix ?? 'processed/'),
    ...p.runtimeEnvironment,
  };
  if (p.concurrency !== undefined) env.SPOT_WORKER_CONCURRENCY = String(p.concurrency);
  if (p.idleGracePeriod !== undefined) env.SPOT_WORKER_IDLE_GRACE_SECONDS = String(p.idleGracePeriod.toSeconds({ integral: false }));
  if (p.drainTimeout !== undefined) env.SPOT_WORKER_LIFECYCLE_HEARTBEAT_SECONDS = String(p.drainTimeout.toSeconds());
  return env;
}

function runtimeAccepts(env: Record<string, string>): boolean {
  try {
    loadRunConfig(env);
    return true;
  } catch {
    return false;
  }
}

/** Each user-set variable as the runtime's config holds it. */
const CONFIG_FIELD: Record<string, [keyof RunConfig, (raw: string) => unknown]> = {
  SPOT_WORKER_PREFETCH: ['prefetch', Number],
  SPOT_WORKER_RECEIVE_WAIT_SECONDS: ['receiveWaitSeconds', Number],
  SPOT_WORKER_IMDS_POLL_SECONDS: ['imdsPollSeconds', Number],
  SPOT_WORKER_DRAIN_TIMEOUT_SECONDS: ['drainTimeoutSeconds', Number],
  SPOT_WORKER_RETRY_BASE_SECONDS: ['retryBaseSeconds', Number],
  SPOT_WORKER_RETRY_MAX_SECONDS: ['retryMaxSeconds', Number],
  SPOT_WORKER_MAX_IMAGE_BYTES: ['maxImageBytes', Number],
  SPOT_WORKER_LOG_LEVEL: ['logLevel', (s) => s],
  SPOT_WORKER_METRICS: ['metrics', (s) => s],
  SPOT_WORKER_VALIDATE_DECODE: ['validateDecode', (s) => /^(true|1|yes)$/i.test(s)],
};

describe('props and the runtime config loader agree (property)', () => {
  test(`${RUNS} props sets within and just outside their ranges`, () => {
    const seen = { synthesized: 0, rejected: 0 };
    fc.assert(fc.property(cases, (c) => {
      const app = testApp();
      const stack = new Stack(app, 'PropsContract');
      let fleet: QueueDrivenSpotWorkerFleet;
      try {
        fleet = new QueueDrivenSpotWorkerFleet(stack, 'Fleet', { runtimeBundlePath: FAKE_BUNDLE, ...c.props, handler: c.make?.() });
      } catch (e) {
        // Rejected at synth: by the construct, with a message that names what to change.
        expect((e as Error).message).toMatch(/^(QueueDrivenSpotWorkerFleet|WorkerHandler\.fromCommand|runtimeEnvironment)\b/);
        seen.rejected++;
        return;
      }
      // It synthesized: the runtime must accept what it asked for, and what the template writes.
      expect(runtimeAccepts(requestedEnvironment(c))).toBe(true);
      const env = workerEnvOf(Template.fromStack(stack));
      const cfg = loadRunConfig(env);
      const p = c.props;
      const folder = (s: string): string => (s.endsWith('/') ? s : `${s}/`);
      expect(cfg.inputPrefix).toBe(folder(p.inputPrefix ?? 'uploads/'));
      expect(cfg.outputPrefix).toBe(folder(p.outputPrefix ?? 'processed/'));
      if (p.concurrency !== undefined) expect(cfg.concurrency).toBe(p.concurrency);
      expect(cfg.idleGraceSeconds).toBe(p.idleGracePeriod?.toSeconds() ?? 60);
      expect(cfg.lifecycleHeartbeatIntervalSeconds).toBe(Math.min(30, Math.max(1, Math.floor((p.drainTimeout?.toSeconds() ?? 300) / 3))));
      expect(cfg.metricsNamespace).toBe(p.metricsNamespace ?? 'SpotWorkerFleet');
      expect(cfg.fleetName).toBe(fleet.fleetName);
      expect(cfg.lifecycleHookName).toBe('spot-worker-drain');
      for (const [name, raw] of Object.entries(p.runtimeEnvironment ?? {})) {
        const [field, parse] = CONFIG_FIELD[name];
        expect(cfg[field]).toEqual(parse(raw));
      }
      if (c.handlerLabel) expect(cfg.handler).toBe('command');
      seen.synthesized++;
    }), { numRuns: RUNS });
    // Both outcomes occur, so neither half of the property holds vacuously.
    expect(seen.synthesized).toBeGreaterThan(0);
    expect(seen.rejected).toBeGreaterThan(0);
  });

  test('sets the runtime would reject fail at synth: each prop at one past its range', () => {
    const outside: QueueDrivenSpotWorkerFleetProps[] = [
      { concurrency: 257 }, { concurrency: 0 }, { idleGracePeriod: Duration.seconds(86_401) },
      { runtimeEnvironment: { SPOT_WORKER_PREFETCH: '101' } }, { runtimeEnvironment: { SPOT_WORKER_RECEIVE_WAIT_SECONDS: '0' } },
      { runtimeEnvironment: { SPOT_WORKER_LOG_LEVEL: 'verbose' } }, { inputPrefix: 'processed/in/' },
    ];
    for (const props of outside) {
      expect(runtimeAccepts(requestedEnvironment({ props }))).toBe(false);
      expect(() => new QueueDrivenSpotWorkerFleet(new Stack(testApp(), 'Outside'), 'Fleet', { runtimeBundlePath: FAKE_BUNDLE, ...props }))
        .toThrow(/^QueueDrivenSpotWorkerFleet: invalid props/);
    }
  });
});
