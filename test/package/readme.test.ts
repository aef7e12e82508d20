/**
 * README hygiene for npm and Construct Hub (issue 10): links are absolute, built from the one
 * repository URL, and point at files that exist; the TypeScript examples import nothing they
 * do not use.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');
const READMES = ['README.md', 'worker-runtime/README.md'];

describe('README', () => {
  test('every repository link is absolute and resolves (scripts/readme-links.mjs)', () => {
    const r = spawnSync(process.execPath, ['scripts/readme-links.mjs'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`readme-links: ${READMES.join(', ')} ok\n`);
    expect(r.status).toBe(0);
  });

  test('a relative link is refused with the fix to run', () => {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'readme-links-'));
    try {
      fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(copy, 'package.json'));
      fs.mkdirSync(path.join(copy, 'docs'));
      fs.mkdirSync(path.join(copy, 'worker-runtime'));
      fs.writeFileSync(path.join(copy, 'docs', 'x.md'), '# x\n');
      fs.writeFileSync(path.join(copy, 'README.md'), 'See [x](docs/x.md) and [gone](docs/gone.md).\n');
      fs.writeFileSync(path.join(copy, 'worker-runtime', 'README.md'), 'nothing\n');
      const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts/readme-links.mjs')], { cwd: copy, encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('README.md: relative link docs/x.md (does not resolve on npm or Construct Hub; run node scripts/readme-links.mjs --fix)');
      expect(r.stderr).toContain('README.md: docs/gone.md points at docs/gone.md, which does not exist');
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });

  test.each(READMES)('%s: TypeScript examples use every name they import', (readme) => {
    const text = fs.readFileSync(path.join(ROOT, readme), 'utf8');
    const blocks = [...text.matchAll(/^```(?:ts|typescript)\n([\s\S]*?)^```/gm)].map((m) => m[1]);
    expect(blocks.length).toBeGreaterThan(0);
    const unused: string[] = [];
    for (const code of blocks) {
      const body = code.replace(/^import .*$/gm, '');
      for (const m of code.matchAll(/^import (?:\* as (\w+)|\{([^}]*)\}|(\w+)) from/gm)) {
        const names = m[2] ? m[2].split(',').map((n) => n.trim().split(/\s+as\s+/).pop()!).filter(Boolean) : [m[1] ?? m[3]];
        for (const name of names) if (!new RegExp(`\\b${name}\\b`).test(body)) unused.push(`${name} (${m[0]})`);
      }
    }
    expect(unused).toEqual([]);
  });

  test('the package keywords include Construct Hub\'s and the repository URL is the one in .projenrc.ts', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.keywords).toEqual(expect.arrayContaining(['awscdk', 'aws-cdk', 'cdk']));
    expect(pkg.stability).toBe('experimental');
    const runtime = JSON.parse(fs.readFileSync(path.join(ROOT, 'worker-runtime', 'package.json'), 'utf8'));
    expect(runtime.repository.url).toBe(pkg.repository.url);
    expect(pkg.repository.url).toBe(`${pkg.homepage}.git`);
  });
});
