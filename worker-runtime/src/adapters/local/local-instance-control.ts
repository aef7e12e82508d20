/**
 * The worker's place in the local fleet, as `InstanceControl` is on EC2: scale-in protection
 * tells the fleet which workers it may terminate on scale-in (the ASG never picks a protected
 * instance), and completing the lifecycle action lets the fleet count a clean drain.
 */
import { sendToParent } from './ipc-messages';
import type { InstanceControl, LifecycleAction } from '../../core/ports';

export class LocalInstanceControl implements InstanceControl {
  async setScaleInProtection(protect: boolean): Promise<void> {
    sendToParent({ type: 'protection', protect });
  }

  async recordLifecycleHeartbeat(_action: LifecycleAction): Promise<void> {
    // The local fleet waits for its workers without a heartbeat timeout.
  }

  async completeLifecycleAction(_action: LifecycleAction, result: 'CONTINUE' | 'ABANDON'): Promise<void> {
    sendToParent({ type: 'lifecycle-complete', result });
  }

  async markUnhealthy(): Promise<void> {
    sendToParent({ type: 'unhealthy' });
  }

  async leaveGroup(decrementDesiredCapacity: boolean): Promise<void> {
    sendToParent({ type: 'leave', decrementDesiredCapacity });
  }
}
