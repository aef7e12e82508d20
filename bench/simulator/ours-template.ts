/**
 * Our policy as the construct deploys it: synthesizes a stack holding one `QueueDrivenSpotWorkerFleet`
 * with default props (env-agnostic, no AWS call) and returns its CloudFormation template. The
 * simulator reads the scaling policies out of that template, so a change in src/ shows up here.
 */
import { App, Stack } from 'aws-cdk-lib';
import { CfnTemplate } from './template-policy';
import { QueueDrivenSpotWorkerFleet } from '../../src';

export function synthesizeOurTemplate(): CfnTemplate {
  const app = new App();
  const stack = new Stack(app, 'BenchFleet');
  new QueueDrivenSpotWorkerFleet(stack, 'Fleet');
  return app.synth().getStackByName(stack.stackName).template as CfnTemplate;
}
