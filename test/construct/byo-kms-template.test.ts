import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describeWithPeers, peerPath } from '../support/peers';
import { byoKmsQueues, synthFleet } from './support/fleet-stack';

/**
 * Issue 12, Must show: a stack with a bring-your-own KMS queue and DLQ synthesizes, lints clean and passes cdk-nag
 * (the grants themselves are asserted in bucket-and-kms.test.ts).
 */
describe('bring-your-own KMS queue and DLQ: the whole template', () => {
  test('cdk-nag AwsSolutions: no unacknowledged finding', () => {
    const { stack } = synthFleet({}, byoKmsQueues);
    const report = new AwsSolutionsChecks(stack.node.root).validateScope(stack);
    expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(',')}`)).toEqual([]);
  });

  describeWithPeers(['CFN_LINT_BIN'], 'cfn-lint', () => {
    test('no error or warning (the key policies with the grants included)', () => {
      const { template } = synthFleet({}, byoKmsQueues);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'byo-kms-'));
      try {
        const file = path.join(dir, 'template.json');
        fs.writeFileSync(file, JSON.stringify(template.toJSON()));
        const run = spawnSync(peerPath('CFN_LINT_BIN')!, ['--format', 'json', file], { encoding: 'utf8', timeout: 100_000 });
        const findings = JSON.parse(run.stdout || '[]');
        // aws-cdk-lib's own notifications handler note, as in example-apps.test.ts.
        const own = findings.filter((f: any) => !(f.Rule.Id === 'W3005' && f.Location.Path[1].startsWith('BucketNotificationsHandler')));
        expect(own.map((f: any) => `${f.Rule.Id} ${f.Message}`)).toEqual([]);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
