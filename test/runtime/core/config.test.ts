import { loadRunConfig } from '../../../worker-runtime/src/core/config';
import { ConfigError } from '../../../worker-runtime/src/core/errors';

const base = {
  SPOT_WORKER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/jobs',
  SPOT_WORKER_DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/jobs-dlq',
};

function problems(env: Record<string, string>): string {
  try {
    loadRunConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('loadRunConfig', () => {
  test('documented defaults', () => {
    const c = loadRunConfig(base);
    expect(c).toMatchObject({
      inputPrefix: 'uploads/',
      outputPrefix: 'processed/',
      handler: 'image-to-pdf',
      idleGraceSeconds: 60,
      metricsNamespace: 'SpotWorkerFleet',
      fleetName: 'default',
      maxImageBytes: 104857600,
      maxImagePixels: 268402689,
      validateDecode: false,
      imdsPollSeconds: 5,
      logLevel: 'info',
      metrics: 'cloudwatch',
      commandOutputExtension: '.pdf',
    });
    expect(c.concurrency).toBe('auto');
    expect(c.maxConcurrency).toBe(256);
    expect(c.autoScalingGroupName).toBeUndefined();
  });

  test('SPOT_WORKER_CONCURRENCY: unset is adaptive (up to SPOT_WORKER_MAX_CONCURRENCY); a number fixes the slots', () => {
    expect(loadRunConfig({ ...base, SPOT_WORKER_CONCURRENCY: '3' }).concurrency).toBe(3);
    expect(loadRunConfig({ ...base, SPOT_WORKER_MAX_CONCURRENCY: '128' }).maxConcurrency).toBe(128);
    expect(() => loadRunConfig({ ...base, SPOT_WORKER_MAX_CONCURRENCY: '0' })).toThrow(/SPOT_WORKER_MAX_CONCURRENCY='0' must be a whole number from 1 to 256/);
  });

  test('SPOT_WORKER_JOB_TIMEOUT_SECONDS: unset, max(300, 20 × the expected processing time), and past the command handler\'s own timeout', () => {
    expect(loadRunConfig(base).jobTimeoutSeconds).toBe(300);
    expect(loadRunConfig({ ...base, SPOT_WORKER_EXPECTED_PROCESSING_SECONDS: '30' }).jobTimeoutSeconds).toBe(600);
    expect(loadRunConfig({ ...base, SPOT_WORKER_EXPECTED_PROCESSING_SECONDS: '43200' }).jobTimeoutSeconds).toBe(43_200);
    const command = { ...base, SPOT_WORKER_HANDLER: 'command', SPOT_WORKER_HANDLER_COMMAND: 'true' };
    expect(loadRunConfig(command).jobTimeoutSeconds).toBe(960);
    expect(loadRunConfig({ ...command, SPOT_WORKER_JOB_TIMEOUT_SECONDS: '45' }).jobTimeoutSeconds).toBe(45);
    expect(() => loadRunConfig({ ...base, SPOT_WORKER_JOB_TIMEOUT_SECONDS: '0' })).toThrow(/SPOT_WORKER_JOB_TIMEOUT_SECONDS='0' must be a whole number from 1 to 43200/);
  });

  test('SPOT_WORKER_PREFETCH: 10 by default, 0 turns prefetching off', () => {
    expect(loadRunConfig(base).prefetch).toBe(10);
    expect(loadRunConfig({ ...base, SPOT_WORKER_PREFETCH: '0' }).prefetch).toBe(0);
    expect(loadRunConfig({ ...base, SPOT_WORKER_PREFETCH: '25' }).prefetch).toBe(25);
  });

  test('reads every documented variable', () => {
    const c = loadRunConfig({
      ...base,
      SPOT_WORKER_BUCKET: 'out',
      SPOT_WORKER_INPUT_PREFIX: '',
      SPOT_WORKER_OUTPUT_PREFIX: 'pdf/',
      SPOT_WORKER_HANDLER: 'command',
      SPOT_WORKER_HANDLER_COMMAND: 'cp "$SPOT_WORKER_INPUT_FILE" "$SPOT_WORKER_OUTPUT_FILE"',
      SPOT_WORKER_CONCURRENCY: '3',
      SPOT_WORKER_IDLE_GRACE_SECONDS: '0',
      SPOT_WORKER_ASG_NAME: 'g',
      SPOT_WORKER_LIFECYCLE_HOOK_NAME: 'h',
      SPOT_WORKER_VALIDATE_DECODE: 'true',
      SPOT_WORKER_IMDS_POLL_SECONDS: '0',
      SPOT_WORKER_LOG_LEVEL: 'debug',
    });
    expect(c).toMatchObject({
      outputBucket: 'out',
      inputPrefix: '',
      outputPrefix: 'pdf/',
      handler: 'command',
      concurrency: 3,
      idleGraceSeconds: 0,
      autoScalingGroupName: 'g',
      lifecycleHookName: 'h',
      validateDecode: true,
      imdsPollSeconds: 0,
      logLevel: 'debug',
      commandOutputExtension: '.out',
      commandContentType: 'application/octet-stream',
    });
  });

  test('reports every problem at once, naming the variable and what to set', () => {
    const msg = problems({
      SPOT_WORKER_CONCURRENCY: 'lots',
      SPOT_WORKER_INPUT_PREFIX: 'uploads',
      SPOT_WORKER_HANDLER: 'magic',
      SPOT_WORKER_LIFECYCLE_HOOK_NAME: 'h',
      SPOT_WORKER_VALIDATE_DECODE: 'maybe',
    });
    for (const needle of [
      'SPOT_WORKER_QUEUE_URL is required', 'SPOT_WORKER_DLQ_URL is required', "SPOT_WORKER_CONCURRENCY='lots' must be a whole number",
      "must end with '/'", "SPOT_WORKER_HANDLER='magic' must be one of image-to-pdf, module, command",
      'SPOT_WORKER_LIFECYCLE_HOOK_NAME needs SPOT_WORKER_ASG_NAME', "SPOT_WORKER_VALIDATE_DECODE='maybe' must be true or false",
    ]) {
      expect(msg).toContain(needle);
    }
  });

  test.each([
    [{ SPOT_WORKER_QUEUE_URL: 'jobs' }, 'is not a queue URL'],
    [{ SPOT_WORKER_DLQ_URL: base.SPOT_WORKER_QUEUE_URL }, 'must differ'],
    [{ SPOT_WORKER_OUTPUT_PREFIX: '' }, 'must not be empty'],
    [{ SPOT_WORKER_INPUT_PREFIX: 'processed/in/' }, 'lies inside SPOT_WORKER_OUTPUT_PREFIX'],
    [{ SPOT_WORKER_INPUT_PREFIX: '/uploads/' }, "must not start with '/'"],
    [{ SPOT_WORKER_HANDLER: 'module' }, 'needs SPOT_WORKER_HANDLER_MODULE'],
    [{ SPOT_WORKER_HANDLER: 'command' }, 'needs SPOT_WORKER_HANDLER_COMMAND'],
    [{ SPOT_WORKER_CONCURRENCY: '0' }, 'from 1 to 256'],
    [{ SPOT_WORKER_PREFETCH: '-1' }, "SPOT_WORKER_PREFETCH='-1' must be a whole number from 0 to 100"],
    [{ SPOT_WORKER_OUTPUT_EXTENSION: 'pdf' }, "must start with '.'"],
    [{ SPOT_WORKER_RETRY_BASE_SECONDS: '60', SPOT_WORKER_RETRY_MAX_SECONDS: '30' }, 'must be at least'],
  ])('%j is rejected: %s', (env, needle) => {
    expect(problems({ ...base, ...env } as Record<string, string>)).toContain(needle);
  });
});
