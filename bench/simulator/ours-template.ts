/**
 * Our policy as the construct deploys it: synthesizes a stack holding one `QueueDrivenSpotWorkerFleet`
 * with default props (env-agnostic, no AWS call) and returns its CloudFormation template. The
 * simulator reads the scaling policies out of that template, so a change in src/ shows up here.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { CfnTemplate } from './template-policy';
import { QueueDrivenSpotWorkerFleet } from '../../src';

export function synthesizeOurTemplate(): CfnTemplate {
  // An explicit, removed outdir: an App without one leaves a folder (with the staged bundle) in /tmp.
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'spot-fleet-bench-cdk-out-'));
  try {
    const app = new App({ outdir });
    const stack = new Stack(app, 'BenchFleet');
    new QueueDrivenSpotWorkerFleet(stack, 'Fleet');
    return app.synth().getStackByName(stack.stackName).template as CfnTemplate;
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}
