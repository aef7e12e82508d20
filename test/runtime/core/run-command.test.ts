/** `spot-worker run` refuses bad configuration at start, with messages that say what to set. */
import { spawnSync } from 'child_process';
import { CLI, ensureRuntimeCompiled } from '../../integration/moto/moto-world';
import { freePort } from '../../support/peers';

function run(env: Record<string, string>): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'run'], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', AWS_REGION: 'us-east-1', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: r.status, stderr: r.stderr };
}

describe('spot-worker run: start-up errors', () => {
  beforeAll(() => ensureRuntimeCompiled());

  test('missing and invalid variables: exit 2, one line each', () => {
    const r = run({ SPOT_WORKER_CONCURRENCY: '-1' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('SPOT_WORKER_QUEUE_URL is required');
    expect(r.stderr).toContain('SPOT_WORKER_DLQ_URL is required');
    expect(r.stderr).toContain("SPOT_WORKER_CONCURRENCY='-1' must be a whole number from 1 to 256");
  });

  test('a group without an instance id and no metadata service: exit 1, says to set SPOT_WORKER_INSTANCE_ID', async () => {
    const closed = await freePort();
    const r = run({
      SPOT_WORKER_QUEUE_URL: 'http://127.0.0.1:1/123456789012/jobs',
      SPOT_WORKER_DLQ_URL: 'http://127.0.0.1:1/123456789012/dlq',
      SPOT_WORKER_HANDLER: 'command',
      SPOT_WORKER_HANDLER_COMMAND: 'true',
      SPOT_WORKER_ASG_NAME: 'g',
      AWS_EC2_METADATA_SERVICE_ENDPOINT: `http://127.0.0.1:${closed}`,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('set SPOT_WORKER_INSTANCE_ID');
  });

  test('unexpected arguments are refused', () => {
    const r = spawnSync(process.execPath, [CLI, 'run', '--queue', 'x'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unexpected argument '--queue'");
  });
});
