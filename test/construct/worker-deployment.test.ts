import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Duration } from 'aws-cdk-lib';
import { WorkerHandler } from '../../src';
import { describeWithPeers, peerPath } from '../support/peers';
import { FIXTURES, synthFleet, userDataOf } from './support/fleet-stack';
import { quoteEnvValue, renderWorkerBootScript } from '../../src/worker-user-data';

const baseOptions = {
  region: 'eu-west-1',
  assetBucketOwner: '111122223333',
  runtimeBundle: { bucket: 'assets', key: 'abc.zip', sha256: 'a'.repeat(64) },
  osPackages: [],
  environment: { SPOT_WORKER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/1/q', SPOT_WORKER_HANDLER: 'image-to-pdf' },
  lifecycleHookName: 'spot-worker-drain',
  launchHookName: 'spot-worker-launch',
  failureMetric: { namespace: 'SpotWorkerFleet', metricName: 'InstancesMarkedUnhealthy', dimensions: { Fleet: "it's-a-fleet" } },
  stopTimeoutSeconds: 330,
};

describe('boot script', () => {
  test('is valid bash (bash -n)', () => {
    const script = renderWorkerBootScript({
      ...baseOptions,
      handlerFiles: { bucket: 'assets', key: 'h.js', sha256: 'b'.repeat(64), fileName: 'handler.js' },
      osPackages: ['ImageMagick'],
      environment: { ...baseOptions.environment, SPOT_WORKER_HANDLER_COMMAND: 'convert "$SPOT_WORKER_INPUT" out.pdf && echo `date` $(id)' },
    });
    expect(() => execFileSync('bash', ['-n'], { input: script })).not.toThrow();
  });

  test('writes the env file through a quoted heredoc, so values are never expanded by the shell', () => {
    // Run just the env-file part of the script in a sandbox and read back what it wrote.
    const value = 'convert "$IN" `rm -rf /` $(id) \\ done';
    const script = renderWorkerBootScript({ ...baseOptions, environment: { SPOT_WORKER_HANDLER_COMMAND: value } });
    const lines = script.split('\n');
    const start = lines.findIndex((l) => l.startsWith('cat > /etc/spot-worker/env'));
    const end = lines.indexOf('SPOT_WORKER_ENV', start);
    const fragment = [lines[start].replace('/etc/spot-worker/env', '"$OUT"'), ...lines.slice(start + 1, end + 1), 'cat "$OUT"'].join('\n');
    const out = execFileSync('bash', ['-c', `OUT="$(mktemp)"\n${fragment}\nrm -f "$OUT"`]).toString();
    expect(out.trim()).toBe(`SPOT_WORKER_HANDLER_COMMAND=${quoteEnvValue(value)}`);
    expect(quoteEnvValue(value)).toBe('"convert \\"$IN\\" `rm -rf /` $(id) \\\\ done"');
  });

  test('sorts variables and installs handler packages with dnf', () => {
    const script = renderWorkerBootScript({ ...baseOptions, osPackages: ['python3', 'ImageMagick'] });
    expect(script).toContain('dnf install -y nodejs22 unzip python3 ImageMagick');
    expect(script.indexOf('SPOT_WORKER_HANDLER=')).toBeLessThan(script.indexOf('SPOT_WORKER_QUEUE_URL='));
  });
});

describe('pluggable handlers', () => {
  test('fromModule(file): shipped as an asset, copied under its name, and its object is readable by the role', () => {
    const { template } = synthFleet({ handler: WorkerHandler.fromModule(path.join(FIXTURES, 'handler.js')) });
    const script = userDataOf(template);
    expect(script).toContain('SPOT_WORKER_HANDLER="module"');
    expect(script).toContain('SPOT_WORKER_HANDLER_MODULE="/opt/spot-worker-handler/handler.js"');
    expect(script).toMatch(/aws s3api get-object .* --bucket "[^"]+" --key "[0-9a-f]{64}\.js" "\$fetched"/);
    expect(script).toContain('mv -f "$fetched" "/opt/spot-worker-handler/handler.js"');
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
    const download = statements.find((st: any) => st.Sid === 'DownloadRuntimeAndHandler');
    expect(download.Action).toBe('s3:GetObject');
    expect(JSON.stringify(download.Resource)).toMatch(/[0-9a-f]{64}\.zip.*[0-9a-f]{64}\.js/);
  });

  test('fromModule(folder, { entry }): unpacked, module path points at the entry', () => {
    const { template } = synthFleet({ handler: WorkerHandler.fromModule(path.join(FIXTURES, 'handler-folder'), { entry: 'dist/index.js' }) });
    const script = userDataOf(template);
    expect(script).toContain('SPOT_WORKER_HANDLER_MODULE="/opt/spot-worker-handler/dist/index.js"');
    expect(script).toContain('unzip -q -o "$archive" -d "/opt/spot-worker-handler"');
  });

  test('fromCommand: the command, its packages, output extension, content type and timeout', () => {
    const { template } = synthFleet({
      handler: WorkerHandler.fromCommand('python3 /opt/convert.py --dpi "300"', {
        osPackages: ['python3'], outputExtension: '.png', outputContentType: 'image/png', timeout: Duration.minutes(2),
      }),
    });
    const script = userDataOf(template);
    const lines = script.split('\n');
    expect(lines).toContain('SPOT_WORKER_HANDLER="command"');
    expect(lines).toContain('SPOT_WORKER_HANDLER_COMMAND="python3 /opt/convert.py --dpi \\"300\\""');
    expect(lines).toContain('SPOT_WORKER_OUTPUT_EXTENSION=".png"');
    expect(lines).toContain('SPOT_WORKER_OUTPUT_CONTENT_TYPE="image/png"');
    expect(lines).toContain('SPOT_WORKER_COMMAND_TIMEOUT_SECONDS="120"');
    expect(script).toContain('dnf install -y nodejs22 unzip python3');
  });

  test.each<[string, () => WorkerHandler, RegExp]>([
    ['missing module', () => WorkerHandler.fromModule('/nonexistent/handler.js'), /does not exist/],
    ['TypeScript source', () => WorkerHandler.fromModule(path.join(FIXTURES, '..', 'support', 'fleet-stack.ts')), /not a JavaScript module.*Compile TypeScript first/],
    ['folder without entry', () => WorkerHandler.fromModule(path.join(FIXTURES, 'handler-folder')), /is a folder; pass options.entry/],
    ['entry escaping the folder', () => WorkerHandler.fromModule(path.join(FIXTURES, 'handler-folder'), { entry: '../handler.js' }), /is not a file inside/],
    ['entry with a file', () => WorkerHandler.fromModule(path.join(FIXTURES, 'handler.js'), { entry: 'x.js' }), /options.entry is only for folders/],
    ['empty command', () => WorkerHandler.fromCommand('  '), /the command is empty/],
    ['multi-line command', () => WorkerHandler.fromCommand('a\nb'), /must be a single line/],
    ['bad package name', () => WorkerHandler.fromCommand('x', { osPackages: ['a; rm -rf /'] }), /not a valid dnf package name/],
    ['bad output extension', () => WorkerHandler.fromCommand('x', { outputExtension: 'pdf' }), /must start with '\.'/],
    ['bad content type', () => WorkerHandler.fromCommand('x', { outputContentType: 'pdf' }), /is not a media type/],
    ['timeout above 12 hours', () => WorkerHandler.fromCommand('x', { timeout: Duration.hours(13) }), /between 1 second and 12 hours/],
  ])('rejects %s', (_name, make, message) => {
    expect(make).toThrow(message);
  });
});

describe('runtime configuration props', () => {
  test('concurrency, idle grace, namespace, fleet name, extra variables, drain timeout', () => {
    const { template } = synthFleet({
      concurrency: 3,
      idleGracePeriod: Duration.seconds(90),
      metricsNamespace: 'Photos',
      fleetName: 'photos-prod',
      runtimeEnvironment: { SPOT_WORKER_LOG_LEVEL: 'debug', SPOT_WORKER_VALIDATE_DECODE: 'true' },
      drainTimeout: Duration.minutes(10),
    });
    const lines = userDataOf(template).split('\n');
    for (const l of ['SPOT_WORKER_CONCURRENCY="3"', 'SPOT_WORKER_IDLE_GRACE_SECONDS="90"', 'SPOT_WORKER_METRICS_NAMESPACE="Photos"',
      'SPOT_WORKER_FLEET_NAME="photos-prod"', 'SPOT_WORKER_LOG_LEVEL="debug"', 'SPOT_WORKER_VALIDATE_DECODE="true"', 'TimeoutStopSec=630']) {
      expect(lines).toContain(l);
    }
    template.hasResourceProperties('AWS::AutoScaling::LifecycleHook', { HeartbeatTimeout: 600 });
    expect(lines).toContain('SPOT_WORKER_LIFECYCLE_HEARTBEAT_SECONDS="600"');
  });

  test('systemd waits for the longer of the lifecycle drain and the runtime SIGTERM drain', () => {
    const short = userDataOf(synthFleet({ drainTimeout: Duration.seconds(30) }).template).split('\n');
    expect(short).toContain('TimeoutStopSec=120'); // the runtime's own 90 s default + 30 s
    const long = userDataOf(synthFleet({ drainTimeout: Duration.seconds(30), runtimeEnvironment: { SPOT_WORKER_DRAIN_TIMEOUT_SECONDS: '200' } }).template);
    expect(long.split('\n')).toContain('TimeoutStopSec=230');
    expect(() => synthFleet({ runtimeEnvironment: { SPOT_WORKER_DRAIN_TIMEOUT_SECONDS: 'soon' } })).toThrow(/integer from 1 to 7200/);
  });

  test('the instance id and group name come from IMDSv2 at boot', () => {
    const script = userDataOf(synthFleet().template);
    expect(script).toContain('http://169.254.169.254/latest/meta-data/instance-id');
    expect(script).toContain('echo "SPOT_WORKER_INSTANCE_ID=\\"$INSTANCE_ID\\"" >> /etc/spot-worker/env');
    expect(script).toContain('echo "SPOT_WORKER_ASG_NAME=\\"$ASG_NAME\\"" >> /etc/spot-worker/env');
  });
});

describeWithPeers(['SYSTEMD_ANALYZE_BIN'], 'the systemd unit as systemd reads it', () => {
  test('systemd-analyze verify accepts every directive of the rendered unit', () => {
    const script = renderWorkerBootScript(baseOptions);
    const lines = script.split('\n');
    const start = lines.findIndex((l) => l.startsWith('cat > /etc/systemd/system/spot-worker.service'));
    const end = lines.indexOf('SPOT_WORKER_UNIT', start);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unit-'));
    try {
      const unit = path.join(dir, 'spot-worker.service');
      const envFile = path.join(dir, 'env');
      fs.writeFileSync(envFile, 'SPOT_WORKER_LOG_LEVEL="info"\n');
      // Render the heredoc as the boot script would (NODE_BIN expanded), pointing at a local env file.
      const fragment = [`cat > "${unit}" <<SPOT_WORKER_UNIT`, ...lines.slice(start + 1, end + 1)].join('\n');
      execFileSync('bash', ['-c', `NODE_BIN="${process.execPath}"\n${fragment}`]);
      const text = fs.readFileSync(unit, 'utf8').replace('EnvironmentFile=/etc/spot-worker/env', `EnvironmentFile=${envFile}`)
        .replace('User=spot-worker', 'User=root');
      fs.writeFileSync(unit, text);
      expect(text).toContain(`ExecStart=${process.execPath} --enable-source-maps /opt/spot-worker/spot-worker.js run`);
      const run = spawnSync(peerPath('SYSTEMD_ANALYZE_BIN')!, ['verify', '--man=no', unit], { encoding: 'utf8', timeout: 60_000 });
      // verify exits 0 on ignored directives and reports them on stderr: both must be clean.
      expect(run.stderr.split('\n').filter((l) => l.includes(unit))).toEqual([]);
      expect(run.status).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
