import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Duration } from 'aws-cdk-lib';
import { synthFleet, userDataOf } from './support/fleet-stack';
import { RUNTIME_ENV } from '../../src/contract/runtime-env';
import { Metrics } from '../../src/contract/runtime-metrics';
import { renderWorkerBootScript, STATE_DIRECTORY_NAME } from '../../src/worker-user-data';

const hooks = (template: any) => Object.values(template.findResources('AWS::AutoScaling::LifecycleHook')) as any[];
const launchHook = (template: any) => hooks(template).find((h) => h.Properties.LifecycleTransition === 'autoscaling:EC2_INSTANCE_LAUNCHING');

describe('launching lifecycle hook: in service only once the worker is ready', () => {
  test('named spot-worker-launch, abandoned on timeout, timeout twice the warm-up (6 minutes by default)', () => {
    const { template } = synthFleet();
    expect(launchHook(template).Properties).toMatchObject({
      LifecycleHookName: 'spot-worker-launch', DefaultResult: 'ABANDON', HeartbeatTimeout: 360,
    });
    // The termination hook is still there, and still continues on timeout.
    expect(hooks(template).find((h) => h.Properties.LifecycleTransition === 'autoscaling:EC2_INSTANCE_TERMINATING').Properties.DefaultResult).toBe('CONTINUE');
  });

  test('the timeout follows instanceWarmup (at least 5 minutes), or launchTimeout', () => {
    expect(launchHook(synthFleet({ instanceWarmup: Duration.minutes(10) }).template).Properties.HeartbeatTimeout).toBe(1200);
    expect(launchHook(synthFleet({ instanceWarmup: Duration.seconds(30) }).template).Properties.HeartbeatTimeout).toBe(300);
    expect(launchHook(synthFleet({ instanceWarmup: Duration.hours(2) }).template).Properties.HeartbeatTimeout).toBe(7200);
    expect(launchHook(synthFleet({ launchTimeout: Duration.minutes(15) }).template).Properties.HeartbeatTimeout).toBe(900);
  });

  test.each([Duration.seconds(10), Duration.hours(3), Duration.millis(45_500)])('launchTimeout %s is rejected with the limits', (d) => {
    expect(() => synthFleet({ launchTimeout: d })).toThrow(/launchTimeout must be a whole number of seconds from 30 seconds to 2 hours.*Duration\.minutes\(10\)/);
  });

  test('the worker gets the hook name in its env file, and may complete it, mark itself unhealthy and leave its own group only', () => {
    const { template } = synthFleet();
    expect(userDataOf(template).split('\n')).toContain('SPOT_WORKER_LAUNCH_HOOK_NAME="spot-worker-launch"');
    expect(RUNTIME_ENV.SPOT_WORKER_LAUNCH_HOOK_NAME.setBy).toBe('construct');
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    const group = statements.find((s: any) => s.Sid === 'ProtectAndDrainOwnGroup');
    expect(group.Action).toEqual(expect.arrayContaining([
      'autoscaling:CompleteLifecycleAction', 'autoscaling:SetInstanceHealth', 'autoscaling:TerminateInstanceInAutoScalingGroup',
    ]));
    expect(JSON.stringify(group.Resource)).toContain(':autoScalingGroupName/');
    expect(statements.filter((s: any) => ([] as string[]).concat(s.Action).includes('autoscaling:SetInstanceHealth'))).toHaveLength(1);
  });

  test('an alarm on InstancesMarkedUnhealthy (missing data is not breaching), on the dashboard', () => {
    const { fleet, template, stack } = synthFleet({ fleetName: 'photos' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: Metrics.INSTANCES_MARKED_UNHEALTHY,
      Namespace: 'SpotWorkerFleet',
      Dimensions: [{ Name: 'Fleet', Value: 'photos' }],
      Statistic: 'Sum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(fleet.instancesMarkedUnhealthyAlarm).toBeDefined();
    const body = JSON.stringify(stack.resolve((template.findResources('AWS::CloudWatch::Dashboard') as any)[Object.keys(template.findResources('AWS::CloudWatch::Dashboard'))[0]].Properties.DashboardBody));
    expect(body).toContain('Instances marked unhealthy');
    expect(fleet.metricInstancesMarkedUnhealthy().metricName).toBe(Metrics.INSTANCES_MARKED_UNHEALTHY);
  });

  test('the unit keeps state in StateDirectory=spot-worker, which the runtime finds through systemd\'s $STATE_DIRECTORY', () => {
    const lines = userDataOf(synthFleet().template).split('\n');
    expect(lines).toContain('StateDirectory=spot-worker');
    expect(RUNTIME_ENV.SPOT_WORKER_STATE_DIRECTORY.defaultText).toContain(`StateDirectory=${STATE_DIRECTORY_NAME}`);
  });
});

/**
 * The boot script's failure path, executed by bash. The `aws` on PATH records its arguments and
 * answers as told: a stand-in for the AWS CLI, because these tests are about which calls a failed
 * step makes and in which order (including a refused ABANDON, which moto cannot produce: it does
 * not implement CompleteLifecycleAction). The boot proof (test/integration/boot) runs the
 * unmodified script with the real CLI against moto and the EC2 metadata mock.
 */
describe('a failed boot step is loud and hands the instance back at once', () => {
  const options = {
    region: 'eu-west-1',
    assetBucketOwner: '111122223333',
    runtimeBundle: { bucket: 'assets', key: 'abc.zip', sha256: 'a'.repeat(64) },
    osPackages: [],
    environment: {},
    lifecycleHookName: 'spot-worker-drain',
    launchHookName: 'spot-worker-launch',
    logGroupName: 'fleet-logs',
    failureMetric: { namespace: 'Photos', metricName: Metrics.INSTANCES_MARKED_UNHEALTHY, dimensions: { Fleet: "o'brien,prod" } },
    stopTimeoutSeconds: 330,
  };
  const script = renderWorkerBootScript(options).split('\n');
  const prologue = script.slice(0, script.findIndex((l) => l.startsWith('trap ')) + 1).join('\n');

  function runBoot(body: string, completeExit = 0): { status: number | null; stderr: string; calls: string[] } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'boot-fail-'));
    try {
      const calls = path.join(dir, 'calls');
      fs.writeFileSync(path.join(dir, 'aws'), [
        '#!/bin/bash',
        'printf "%s\\n" "$*" >> "$AWS_CALLS"',
        `if [ "$2" = complete-lifecycle-action ]; then exit ${completeExit}; fi`,
        // The events file the script passes (file://...), to check what reaches the log group.
        'if [ "$2" = put-log-events ]; then f="${@: -1}"; printf "events: %s\\n" "$(cat "${f#file://}")" >> "$AWS_CALLS"; fi',
      ].join('\n'), { mode: 0o755 });
      const run = spawnSync('bash', ['-c', `${prologue}\n${body}\necho reached-the-end`], {
        env: { PATH: `${dir}:${process.env.PATH}`, AWS_CALLS: calls }, encoding: 'utf8', timeout: 30_000,
      });
      expect(run.stdout).not.toContain('reached-the-end');
      return { status: run.status, stderr: run.stderr, calls: fs.existsSync(calls) ? fs.readFileSync(calls, 'utf8').trim().split('\n') : [] };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  test('counts the failure and abandons the launch hook, with the failed command\'s status', () => {
    const r = runBoot('INSTANCE_ID=i-0abc\nASG_NAME=my-group\nboot_step runtime\n(exit 7)');
    expect(r.status).toBe(7);
    expect(r.stderr).toMatch(/spot-worker-boot: FAILED step=runtime line=\d+ exit=7/);
    expect(r.calls).toHaveLength(5);
    expect(r.calls[0]).toMatch(/^cloudwatch put-metric-data --region eu-west-1 --namespace Photos --metric-data /);
    expect(JSON.parse(r.calls[0].replace(/^.*--metric-data /, ''))).toEqual([
      { MetricName: 'InstancesMarkedUnhealthy', Dimensions: [{ Name: 'Fleet', Value: "o'brien,prod" }], Value: 1, Unit: 'Count' },
    ]);
    // The failure as the runtime's JSON log line, in the stream <instance id>/boot of the log group.
    expect(r.calls[1]).toBe('logs create-log-stream --region eu-west-1 --log-group-name fleet-logs --log-stream-name i-0abc/boot');
    expect(r.calls[2]).toMatch(/^logs put-log-events --region eu-west-1 --log-group-name fleet-logs --log-stream-name i-0abc\/boot --log-events file:\/\//);
    const events = JSON.parse(r.calls[3].replace(/^events: /, ''));
    expect(events).toEqual([{ timestamp: expect.any(Number), message: expect.any(String) }]);
    expect(Math.abs(events[0].timestamp - Date.now())).toBeLessThan(3_600_000);
    expect(JSON.parse(events[0].message)).toEqual({ level: 'error', msg: 'boot failed', step: 'runtime', line: expect.any(Number), exitCode: 7 });
    expect(r.calls[4]).toBe('autoscaling complete-lifecycle-action --region eu-west-1 --auto-scaling-group-name my-group ' +
      '--lifecycle-hook-name spot-worker-launch --instance-id i-0abc --lifecycle-action-result ABANDON');
  });

  test('when the hook cannot be abandoned (no hook, already completed), marks the instance unhealthy instead', () => {
    const r = runBoot('INSTANCE_ID=i-0abc\nASG_NAME=my-group\nboot_step packages\nfalse', 254);
    expect(r.status).toBe(1);
    expect(r.calls[r.calls.length - 1]).toBe('autoscaling set-instance-health --region eu-west-1 --instance-id i-0abc --health-status Unhealthy --no-should-respect-grace-period');
  });

  test('a failure inside $(...) is reported once', () => {
    const r = runBoot('INSTANCE_ID=i-0abc\nASG_NAME=my-group\nboot_step metadata\nX="$(false)"');
    expect(r.status).toBe(1);
    expect(r.calls.filter((c) => c.startsWith('cloudwatch'))).toHaveLength(1);
    expect(r.stderr.match(/FAILED/g)).toHaveLength(1);
  });

  test('a digest mismatch fails the boot before unzip', () => {
    const r = runBoot('INSTANCE_ID=i-0abc\nASG_NAME=g\narchive="$(mktemp)"\necho tampered > "$archive"\n' +
      `echo "${'a'.repeat(64)}  $archive" | sha256sum --check --strict -\nunzip -q -o "$archive" -d /nonexistent`);
    expect(r.status).toBe(1);
    expect(r.calls.some((c) => c.includes('ABANDON'))).toBe(true);
  });

  test('before the instance id is known: still loud, no calls, the boot fails', () => {
    const r = runBoot('boot_step metadata\nfalse');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('FAILED step=metadata');
    expect(r.calls).toEqual([]);
  });

  test('the metadata step (instance id, group) comes before any package or download', () => {
    const order = ['boot_step metadata', 'INSTANCE_ID="$(curl', 'ASG_NAME="$(curl', 'boot_step packages', 'dnf install', 'aws s3api get-object', 'systemctl enable']
      .map((p) => script.findIndex((l) => l.startsWith(p)));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });
});
