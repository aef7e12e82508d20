/**
 * Writes the contract's tables into docs/architecture.md (the runtime's environment variables, its
 * metrics, the failure kinds), from src/contract/ alone, so the doc cannot drift from what both
 * packages compile. test/contract/contract-docs.test.ts fails when the doc is stale.
 *
 * Usage: npx tsx scripts/contract-docs.ts
 */
import * as fs from 'fs';
import * as path from 'path';
import { replaceSection, table } from '../bench/report/doc-section';
import { FailureKind } from '../src/contract/failure-kinds';
import { EnvVar, RUNTIME_ENV } from '../src/contract/runtime-env';
import { DEFAULT_METRICS_NAMESPACE, FLEET_DIMENSION, KIND_DIMENSION, RUNTIME_METRICS } from '../src/contract/runtime-metrics';

export const ARCHITECTURE_DOC = path.join(__dirname, '..', 'docs', 'architecture.md');

const code = (s: string): string => `\`${s}\``;

function typeAndRange(v: EnvVar): string {
  switch (v.type) {
    case 'int': return `whole number ${v.max === Number.MAX_SAFE_INTEGER ? `≥ ${v.min}` : `${v.min}–${v.max}`}${v.unit ? ` (${v.unit})` : ''}`;
    case 'choice': return `one of ${v.choices.map(code).join(', ')}`;
    case 'bool': return '`true`/`false` (also `1`/`0`, `yes`/`no`)';
    case 'prefix': return "S3 key prefix: `''` or a folder ending in `/`, no leading `/`";
    case 'queue-url': return 'SQS queue URL';
    case 'string': return v.pattern ? `text; ${v.pattern.rule}` : 'text';
  }
}

function defaultOf(v: EnvVar): string {
  if (v.defaultText) return v.defaultText;
  if (v.type === 'queue-url') return 'required';
  const d = (v as { default?: unknown }).default;
  return d === undefined ? 'unset' : code(String(d));
}

function setBy(v: EnvVar): string {
  switch (v.setBy) {
    case 'construct': return v.prop ? `construct (prop ${code(v.prop.name)})` : 'construct';
    case 'handler': return 'construct (from the `handler` prop)';
    case 'boot': return 'boot script (user data)';
    case 'user': return 'you (`runtimeEnvironment`)';
  }
}

export function envTable(): string {
  return table(
    ['variable', 'type and range', 'default', 'set by', 'meaning'],
    Object.entries(RUNTIME_ENV).map(([name, v]: [string, EnvVar]) => [code(name), typeAndRange(v), defaultOf(v), setBy(v), v.meaning]),
  );
}

export function metricsTable(): string {
  return [
    `Namespace ${code(DEFAULT_METRICS_NAMESPACE)} unless \`metricsNamespace\` says otherwise; every metric has the dimension ${code(FLEET_DIMENSION)}.`,
    '',
    table(['metric', 'unit', 'meaning'], RUNTIME_METRICS.map((m) => [code(m.name), m.unit, m.meaning])),
    '',
    `Failure kinds (the ${code(KIND_DIMENSION)} dimension of \`JobFailures\` and the \`FailureKind\` attribute of a dead-lettered message; a handler may raise its own): ` +
      `${Object.values(FailureKind).map(code).join(', ')}.`,
  ].join('\n');
}

export function renderArchitectureDoc(text: string): string {
  const doc = 'docs/architecture.md';
  return replaceSection(replaceSection(text, 'runtime-env', envTable(), doc), 'runtime-metrics', metricsTable(), doc);
}

if (require.main === module) {
  fs.writeFileSync(ARCHITECTURE_DOC, renderArchitectureDoc(fs.readFileSync(ARCHITECTURE_DOC, 'utf8')));
  console.log(`contract-docs: wrote the tables of ${path.relative(process.cwd(), ARCHITECTURE_DOC)}`);
}
