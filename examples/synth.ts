/**
 * `npx projen synth:example`: synthesizes the example apps into examples/cdk.out with no AWS
 * credentials (the stacks are env-agnostic and the AMI comes from a public SSM parameter).
 */
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { buildExampleApp } from './app';

const outdir = path.join(__dirname, 'cdk.out');
const app = new App({ outdir });
buildExampleApp(app);
const assembly = app.synth();
for (const stack of assembly.stacks) {
  // eslint-disable-next-line no-console
  console.log(`${stack.stackName}: ${path.relative(process.cwd(), path.join(outdir, stack.templateFile))}`);
}
