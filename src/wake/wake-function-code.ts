/**
 * The wake function's code, deployed inline (the template's `ZipFile`, so a reviewer reads exactly
 * what runs) for the Lambda Node.js runtime, whose AWS SDK v3 it uses. Kept as one source text
 * so the template and the tests run the same bytes: test/wake/ loads this very string and drives
 * it against moto's Auto Scaling with S3's EventBridge event JSON.
 *
 * What it does per `Object Created` event: nothing when it already looked within the quiet
 * interval (one Describe per interval per function instance; the function's reserved concurrency
 * of 1 makes that the whole fleet's bound); else reads the group and, only when its desired
 * capacity is 0, sets it to 1. It never lowers capacity and never touches a group that is already
 * running. A failed call clears the quiet interval and rethrows, so the event is retried.
 */
export const WAKE_FUNCTION_CODE = `'use strict';
const asg = require('@aws-sdk/client-auto-scaling');

function createWake(deps) {
  const state = { lastCheck: -Infinity };
  return async function wake(event) {
    const detail = event && event.detail;
    if (!detail || !detail.object || typeof detail.object.key !== 'string') {
      return { action: 'ignored', reason: 'not an S3 Object Created event' };
    }
    const now = deps.now();
    if (now - state.lastCheck < deps.quietMs) return { action: 'skipped', reason: 'checked within the quiet interval' };
    state.lastCheck = now;
    try {
      const out = await deps.client.send(new asg.DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [deps.groupName] }));
      const group = (out.AutoScalingGroups || [])[0];
      if (!group) throw new Error('Auto Scaling group ' + deps.groupName + ' not found');
      if (group.DesiredCapacity > 0 || group.MaxSize < 1) return { action: 'none', desired: group.DesiredCapacity };
      await deps.client.send(new asg.SetDesiredCapacityCommand({
        AutoScalingGroupName: deps.groupName, DesiredCapacity: 1, HonorCooldown: false,
      }));
      console.log(JSON.stringify({ message: 'woke the fleet', group: deps.groupName, key: detail.object.key, eventTime: event.time }));
      return { action: 'woke', desired: 1 };
    } catch (err) {
      state.lastCheck = -Infinity;
      throw err;
    }
  };
}

let wake;
exports.createWake = createWake;
exports.handler = async (event) => {
  wake = wake || createWake({
    client: new asg.AutoScalingClient({}),
    groupName: process.env.GROUP_NAME,
    quietMs: Number(process.env.QUIET_SECONDS) * 1000,
    now: Date.now,
  });
  return wake(event);
};
`;
