/**
 * src/contract/ is compiled by both packages: the construct (jsii) and the worker runtime (through
 * the link worker-runtime/src/contract). It may import only its own files, never aws-cdk-lib, Node.js
 * or runtime code, or one of the two builds breaks.
 */
import * as fs from 'fs';
import * as path from 'path';

const CONTRACT = path.join(__dirname, '..', '..', 'src', 'contract');

describe('src/contract', () => {
  const files = fs.readdirSync(CONTRACT).filter((f) => f.endsWith('.ts'));

  test('has files', () => {
    expect(files).toEqual(expect.arrayContaining(['runtime-env.ts', 'runtime-metrics.ts', 'failure-kinds.ts', 'scaling-plan.ts']));
  });

  test.each(files)('%s imports only the contract', (file) => {
    const text = fs.readFileSync(path.join(CONTRACT, file), 'utf8');
    const specifiers = [...text.matchAll(/^\s*(?:import|export)[^'"]*from\s+'([^']+)'/gm)].map((m) => m[1]);
    for (const s of specifiers) expect(s).toMatch(/^\.\/[a-z-]+$/);
    expect(text).not.toMatch(/\brequire\(/);
  });

  test('the runtime sees the same folder', () => {
    const link = path.join(__dirname, '..', '..', 'worker-runtime', 'src', 'contract');
    expect(fs.realpathSync(link)).toBe(fs.realpathSync(CONTRACT));
  });
});
