/**
 * docs/architecture.md's tables of the runtime's variables, metrics and failure kinds are generated
 * from src/contract/ (scripts/contract-docs.ts): this fails when the doc is stale.
 */
import * as fs from 'fs';
import { ARCHITECTURE_DOC, renderArchitectureDoc } from '../../scripts/contract-docs';
import { RUNTIME_ENV } from '../../src/contract/runtime-env';

describe('docs/architecture.md', () => {
  const doc = fs.readFileSync(ARCHITECTURE_DOC, 'utf8');

  test('its contract tables are the ones generated from src/contract (run: npx tsx scripts/contract-docs.ts)', () => {
    expect(doc).toBe(renderArchitectureDoc(doc));
  });

  test('lists every variable of the table', () => {
    for (const name of Object.keys(RUNTIME_ENV)) expect(doc).toContain(`| \`${name}\` |`);
  });
});
