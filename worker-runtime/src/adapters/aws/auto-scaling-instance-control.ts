/** This instance in its Auto Scaling group (InstanceControl port). */
import {
  AutoScalingClient, CompleteLifecycleActionCommand, DescribeAutoScalingInstancesCommand, RecordLifecycleActionHeartbeatCommand,
  SetInstanceHealthCommand, SetInstanceProtectionCommand, TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import type { InstanceControl, LifecycleAction } from '../../core/ports';

export class AutoScalingInstanceControl implements InstanceControl {
  constructor(private readonly client: AutoScalingClient, private readonly groupName: string, private readonly instanceId: string) {}

  async setScaleInProtection(protect: boolean): Promise<void> {
    await this.client.send(new SetInstanceProtectionCommand({
      AutoScalingGroupName: this.groupName,
      InstanceIds: [this.instanceId],
      ProtectedFromScaleIn: protect,
    }));
  }

  async readScaleInProtection(): Promise<boolean> {
    const res = await this.client.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [this.instanceId] }));
    const me = res.AutoScalingInstances?.find((i) => i.InstanceId === this.instanceId);
    if (!me) throw new Error(`${this.instanceId} is not in an Auto Scaling group`);
    return me.ProtectedFromScaleIn === true;
  }

  async recordLifecycleHeartbeat(action: LifecycleAction): Promise<void> {
    await this.client.send(new RecordLifecycleActionHeartbeatCommand({
      LifecycleHookName: action.hookName,
      AutoScalingGroupName: action.groupName,
      InstanceId: action.instanceId,
      LifecycleActionToken: action.token,
    }));
  }

  async completeLifecycleAction(action: LifecycleAction, result: 'CONTINUE' | 'ABANDON'): Promise<void> {
    await this.client.send(new CompleteLifecycleActionCommand({
      LifecycleHookName: action.hookName,
      AutoScalingGroupName: action.groupName,
      InstanceId: action.instanceId,
      LifecycleActionToken: action.token,
      LifecycleActionResult: result,
    }));
  }

  async markUnhealthy(): Promise<void> {
    // Not respecting the grace period: a worker that cannot start will not recover by waiting.
    await this.client.send(new SetInstanceHealthCommand({ InstanceId: this.instanceId, HealthStatus: 'Unhealthy', ShouldRespectGracePeriod: false }));
  }

  async leaveGroup(decrementDesiredCapacity: boolean): Promise<void> {
    await this.client.send(new TerminateInstanceInAutoScalingGroupCommand({
      InstanceId: this.instanceId,
      ShouldDecrementDesiredCapacity: decrementDesiredCapacity,
    }));
  }
}
