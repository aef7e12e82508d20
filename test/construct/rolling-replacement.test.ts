import { Duration } from 'aws-cdk-lib';
import { onlyResource, synthFleet } from './support/fleet-stack';

const updatePolicy = (props = {}) => onlyResource(synthFleet(props).template, 'AWS::AutoScaling::AutoScalingGroup').UpdatePolicy;

describe('rolling replacement when the launch template changes', () => {
  test('a rolling update in batches of a quarter of maxCapacity, pausing the launch timeout between batches', () => {
    const policy = updatePolicy();
    expect(policy.AutoScalingRollingUpdate).toMatchObject({ MaxBatchSize: 3, MinInstancesInService: 0, PauseTime: 'PT6M' });
    expect(policy.AutoScalingRollingUpdate.WaitOnResourceSignals).toBeFalsy();
    // Deploys still never reset the group's desired capacity.
    expect(policy.AutoScalingScheduledAction).toEqual({ IgnoreUnmodifiedGroupSizeProperties: true });
  });

  test('scaling alarms and health replacement wait while CloudFormation replaces instances', () => {
    expect(updatePolicy().AutoScalingRollingUpdate.SuspendProcesses).toEqual(expect.arrayContaining(['AlarmNotification', 'ReplaceUnhealthy', 'HealthCheck']));
  });

  test('keeps minCapacity in service (below maxCapacity, as CloudFormation requires); batch and pause follow the props', () => {
    expect(updatePolicy({ minCapacity: 2, maxCapacity: 20 }).AutoScalingRollingUpdate).toMatchObject({ MaxBatchSize: 5, MinInstancesInService: 2 });
    expect(updatePolicy({ minCapacity: 3, maxCapacity: 3 }).AutoScalingRollingUpdate).toMatchObject({ MaxBatchSize: 1, MinInstancesInService: 2 });
    expect(updatePolicy({ launchTimeout: Duration.minutes(90) }).AutoScalingRollingUpdate.PauseTime).toBe('PT1H');
  });

  test('the old instances drain through the termination hook (CONTINUE after drainTimeout), the new pass the launching hook', () => {
    const { template } = synthFleet();
    const hooks = Object.values(template.findResources('AWS::AutoScaling::LifecycleHook')).map((h: any) => h.Properties.LifecycleTransition).sort();
    expect(hooks).toEqual(['autoscaling:EC2_INSTANCE_LAUNCHING', 'autoscaling:EC2_INSTANCE_TERMINATING']);
    // No desired capacity: at zero instances there is nothing to replace, and an update launches none.
    expect(onlyResource(template, 'AWS::AutoScaling::AutoScalingGroup').Properties.DesiredCapacity).toBeUndefined();
  });
});
