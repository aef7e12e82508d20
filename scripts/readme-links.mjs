#!/usr/bin/env node
/**
 * README links that work on npm and Construct Hub, where docs/ and the sources are not shipped:
 * every link to a file of this repository is absolute, built from the one repository URL
 * (package.json `homepage`, set from REPOSITORY in .projenrc.ts), and points at a file or
 * folder that exists.
 *   node scripts/readme-links.mjs          check README.md and worker-runtime/README.md (exit 1 on a problem)
 *   node scripts/readme-links.mjs --fix    rewrite relative links (and links under an old repository URL)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const READMES = ['README.md', 'worker-runtime/README.md'];
const LINK = /\]\(([^)\s]+)\)/g;

export function repositoryUrl(root = '.') {
  return JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).homepage.replace(/\/$/, '');
}

/** Problems of one README (relative links, links to missing files); with fix, the rewritten text. */
export function checkReadme(root, readme, fix = false) {
  const repo = repositoryUrl(root);
  const dir = path.dirname(readme);
  const problems = [];
  const text = fs.readFileSync(path.join(root, readme), 'utf8');
  const out = text.replace(LINK, (whole, target) => {
    if (/^(https?:|mailto:|#)/.test(target) && !target.startsWith(`${repo}/`)) return whole;
    let rel;
    if (target.startsWith(`${repo}/`)) {
      const m = /^(?:blob|tree)\/main\/(.*)$/.exec(target.slice(repo.length + 1));
      if (!m) { problems.push(`${readme}: ${target} is not a blob/main or tree/main link`); return whole; }
      rel = m[1];
    } else {
      rel = path.posix.normalize(path.posix.join(dir, target));
      if (!fix) problems.push(`${readme}: relative link ${target} (does not resolve on npm or Construct Hub; run node scripts/readme-links.mjs --fix)`);
    }
    const [file, anchor] = rel.split('#');
    const full = path.join(root, file);
    if (!fs.existsSync(full)) { problems.push(`${readme}: ${target} points at ${file}, which does not exist`); return whole; }
    const kind = fs.statSync(full).isDirectory() ? 'tree' : 'blob';
    return `](${repo}/${kind}/main/${file}${anchor ? `#${anchor}` : ''})`;
  });
  return { problems, text: out };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const fix = process.argv.includes('--fix');
  const problems = [];
  for (const readme of READMES) {
    const r = checkReadme('.', readme, fix);
    problems.push(...r.problems);
    if (fix) fs.writeFileSync(readme, r.text);
  }
  if (problems.length) {
    process.stderr.write(`readme-links: ${problems.length} problem(s)\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
    process.exit(1);
  }
  process.stdout.write(`readme-links: ${READMES.join(', ')} ok\n`);
}
