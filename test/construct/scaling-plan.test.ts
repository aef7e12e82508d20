/**
 * The synthesized template deploys exactly the contract's scaling plan (src/contract/scaling-plan.ts),
 * the plan local mode and the simulator replay with the one scaling model: the template is read
 * back into the plan's terms by the simulator's reader (bench/simulator/template-policy.ts) and
 * compared with `fleetScalingPlan` for the same props.
 */
import { Duration } from 'aws-cdk-lib';
import { synthFleet } from './support/fleet-stack';
import { ourWorker } from '../../bench/simulator/policies';
import { CfnTemplate, fleetPolicyFromTemplate } from '../../bench/simulator/template-policy';
import { FLEET_SCALING_DEFAULTS, FleetScalingInputs, fleetScalingPlan, ScalingPlan, ScalingPolicySpec } from '../../src/contract/scaling-plan';
import { QueueDrivenSpotWorkerFleetProps } from '../../src/fleet-props';

/** The plan without what only names things (policy names are logical ids in the template; labels are for graphs). */
function shape(plan: ScalingPlan): unknown {
  const query = (q: { metrics: unknown; expression?: string }) => ({ metrics: q.metrics, expression: q.expression });
  const policy = (p: ScalingPolicySpec) => (p.kind === 'target-tracking'
    ? { ...p, name: undefined, query: query(p.query) }
    : { ...p, name: undefined, alarm: { ...p.alarm, query: query(p.alarm.query) } });
  const all = { min: plan.minCapacity, max: plan.maxCapacity, warmup: plan.warmupSeconds, policies: plan.policies.map(policy) };
  return JSON.parse(JSON.stringify(all));
}

function deployed(props: QueueDrivenSpotWorkerFleetProps): ScalingPlan {
  const template = synthFleet(props).template.toJSON() as CfnTemplate;
  return fleetPolicyFromTemplate(template, 'deployed', 'test', ourWorker({ oursSeconds: 1, oursCpuSeconds: 1, sampleSeconds: 1 }));
}

describe('the template deploys the scaling plan', () => {
  test.each<[string, QueueDrivenSpotWorkerFleetProps, FleetScalingInputs]>([
    ['defaults', {}, FLEET_SCALING_DEFAULTS],
    ['every scaling prop set', {
      acceptableLatency: Duration.minutes(2),
      expectedProcessingTime: Duration.seconds(4),
      minCapacity: 1,
      maxCapacity: 25,
      instanceWarmup: Duration.seconds(90),
      scaleToZeroAfter: Duration.minutes(7),
    }, {
      acceptableLatencySeconds: 120,
      expectedProcessingSeconds: 4,
      minCapacity: 1,
      maxCapacity: 25,
      instanceWarmupSeconds: 90,
      scaleToZeroAfterMinutes: 7,
    }],
  ])('%s', (_name, props, inputs) => {
    const plan = fleetScalingPlan(inputs);
    expect(shape(deployed(props))).toEqual(shape(plan));
    // The fixed target-tracking alarms are not in the template (the service creates them): the plan says 3/3 and 15/15.
    expect(plan.policies.map((p) => p.kind)).toEqual(['target-tracking', 'step', 'step']);
  });
});
