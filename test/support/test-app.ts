/**
 * A CDK App for tests. Apps created without an `outdir` each get a new folder in the system temp
 * directory that nobody removes, and every synth stages the ~20 MB worker bundle into it; test
 * apps share one folder per test file instead, removed after the file (see cdk-outdir-cleanup.ts).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, AppProps } from 'aws-cdk-lib';

let outdir: string | undefined;

export function testApp(props: AppProps = {}): App {
  outdir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'spot-fleet-test-cdk-out-'));
  return new App({ outdir, ...props });
}

/** Removes this test file's synth folder (called once after the file's tests). */
export function removeTestAppOutdir(): void {
  if (outdir) fs.rmSync(outdir, { recursive: true, force: true });
  outdir = undefined;
}
