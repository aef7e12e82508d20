/**
 * The construct and the runtime agree on the worker's configuration: the env file a synthesized
 * fleet writes is accepted by the runtime's own loader with the values of the props, and props the
 * runtime would reject fail at synth with a message that names the prop (issue 9: these three used
 * to synthesize, and the worker then exited with a configuration error on every restart).
 */
import { Duration } from 'aws-cdk-lib';
import { synthFleet } from './support/fleet-stack';
import { workerEnvOf } from './support/worker-env';
import { loadRunConfig } from '../../worker-runtime/src/core/config';

describe('the env file a fleet writes is one the runtime accepts', () => {
  test('defaults', () => {
    const { fleet, template } = synthFleet();
    const env = workerEnvOf(template);
    const cfg = loadRunConfig(env);
    expect(cfg).toMatchObject({
      inputPrefix: 'uploads/',
      outputPrefix: 'processed/',
      handler: 'image-to-pdf',
      idleGraceSeconds: 60,
      metricsNamespace: 'SpotWorkerFleet',
      fleetName: fleet.fleetName,
      lifecycleHookName: 'spot-worker-drain',
    });
    expect(cfg.queueUrl).not.toBe(cfg.deadLetterQueueUrl);
  });

  test("inputPrefix 'uploads' is taken as the folder 'uploads/' (notification, permissions and worker alike)", () => {
    const { fleet, template } = synthFleet({ inputPrefix: 'uploads', outputPrefix: 'pdf' });
    expect(fleet.inputPrefix).toBe('uploads/');
    expect(fleet.outputPrefix).toBe('pdf/');
    const cfg = loadRunConfig(workerEnvOf(template));
    expect(cfg.inputPrefix).toBe('uploads/');
    expect(cfg.outputPrefix).toBe('pdf/');
    const notifications = JSON.stringify(template.findResources('Custom::S3BucketNotifications'));
    expect(notifications).toContain('"Value":"uploads/"');
    expect(notifications).not.toContain('"Value":"uploads"');
  });

  test('concurrency 300 fails at synth and says what to change', () => {
    expect(() => synthFleet({ concurrency: 300 })).toThrow(/concurrency must be an integer >= 1 and <= 256 \(the runtime's SPOT_WORKER_CONCURRENCY\), got 300/);
  });

  test('concurrency 256 (the top of the range) works', () => {
    expect(loadRunConfig(workerEnvOf(synthFleet({ concurrency: 256 }).template)).concurrency).toBe(256);
  });

  test('idleGracePeriod of 2 days fails at synth and says what to change', () => {
    expect(() => synthFleet({ idleGracePeriod: Duration.days(2) }))
      .toThrow(/idleGracePeriod must be a whole number of seconds from 0 to 86400 \(1 day\), got 172800 seconds.*Duration\.seconds\(86400\)/);
  });

  test('idleGracePeriod of 1 day (the top of the range) works', () => {
    expect(loadRunConfig(workerEnvOf(synthFleet({ idleGracePeriod: Duration.days(1) }).template)).idleGraceSeconds).toBe(86_400);
  });

  test('a fraction of a second fails at synth instead of being rounded', () => {
    expect(() => synthFleet({ idleGracePeriod: Duration.millis(1500) })).toThrow(/idleGracePeriod must be a whole number of seconds.*got 1.5 seconds/);
  });

  test('runtimeEnvironment values are checked against the runtime table too', () => {
    expect(() => synthFleet({ runtimeEnvironment: { SPOT_WORKER_PREFETCH: '500' } }))
      .toThrow(/runtimeEnvironment: SPOT_WORKER_PREFETCH='500' must be a whole number from 0 to 100/);
    expect(() => synthFleet({ runtimeEnvironment: { SPOT_WORKER_RETRY_BASE_SECONDS: '60', SPOT_WORKER_RETRY_MAX_SECONDS: '30' } }))
      .toThrow(/SPOT_WORKER_RETRY_MAX_SECONDS \(30\) must be at least SPOT_WORKER_RETRY_BASE_SECONDS \(60\)/);
    expect(loadRunConfig(workerEnvOf(synthFleet({ runtimeEnvironment: { SPOT_WORKER_PREFETCH: '0' } }).template)).prefetch).toBe(0);
  });
});
