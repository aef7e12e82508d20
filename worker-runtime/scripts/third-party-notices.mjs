/**
 * Writes THIRD-PARTY-NOTICES.md for the arm64 bundle: every npm package whose code is inside
 * spot-worker.js (from esbuild's metafile) or copied beside it (sharp and its platform packages),
 * each with its version, license and license text. For the LGPL libvips build that sharp
 * loads, it says where the exact sources are and that the shared library can be replaced.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const LICENSE_FILE = /^(licen[sc]e|copying|notice)(\.(md|txt|markdown))?$/i;

/** Package folders (containing package.json) named by the metafile's node_modules inputs. */
export function bundledPackageDirs(metafile, baseDir) {
  const dirs = new Set();
  for (const input of Object.keys(metafile.inputs)) {
    const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m) dirs.add(path.resolve(baseDir, m[1]));
  }
  return [...dirs];
}

/** Every package folder under a node_modules folder (scoped ones included). */
export function installedPackageDirs(modulesDir) {
  const dirs = [];
  for (const entry of fs.readdirSync(modulesDir)) {
    if (entry.startsWith('.')) continue;
    const p = path.join(modulesDir, entry);
    if (entry.startsWith('@')) for (const n of fs.readdirSync(p)) dirs.push(path.join(p, n));
    else dirs.push(p);
  }
  return dirs;
}

function repositoryUrl(pkg) {
  const r = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
  return (r ?? pkg.homepage ?? '').replace(/^git\+/, '').replace(/\.git$/, '');
}

function libvipsSection(dir, pkg) {
  const versions = JSON.parse(fs.readFileSync(path.join(dir, 'versions.json'), 'utf8'));
  const readme = fs.readFileSync(path.join(dir, 'README.md'), 'utf8');
  const licensing = readme.slice(readme.indexOf('## Licensing')).replace(/^## Licensing\s*/, '').trim();
  return [
    `libvips ${versions.vips} and the libraries it is built with are loaded by sharp as a shared library`,
    `(\`node_modules/${pkg.name}/lib/libvips-cpp.so.${versions.vips}\`); it may be replaced by a build of your own.`,
    'libvips is licensed under the GNU Lesser General Public License v3.0 or later (LGPL-3.0-or-later).',
    `Its source: https://github.com/libvips/libvips/tree/v${versions.vips}; the scripts that built this`,
    `binary and the versions of every library in it: https://github.com/lovell/sharp-libvips/tree/v${pkg.version}`,
    `(the versions: ${Object.entries(versions).map(([k, v]) => `${k} ${v}`).join(', ')}).`,
    '',
    licensing,
  ].join('\n');
}

export function writeNotices(outFile, packageDirs, ownName) {
  const seen = new Map();
  for (const dir of packageDirs) {
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    if (pkg.name === ownName || seen.has(`${pkg.name}@${pkg.version}`)) continue;
    seen.set(`${pkg.name}@${pkg.version}`, { dir, pkg });
  }
  const entries = [...seen.values()].sort((a, b) => a.pkg.name.localeCompare(b.pkg.name));
  const lines = [
    '# Third-party notices',
    '',
    `The arm64 bundle of ${ownName} (spot-worker.js and node_modules/ beside it) contains the`,
    `following ${entries.length} npm packages. Each is listed with its license; the license texts follow the list.`,
    '',
    '| Package | Version | License | Source |',
    '|---|---|---|---|',
    ...entries.map(({ pkg }) => `| ${pkg.name} | ${pkg.version} | ${pkg.license ?? 'see below'} | ${repositoryUrl(pkg)} |`),
    '',
  ];
  // Identical license texts (most of the AWS SDK's) are printed once, after the packages that share them.
  const texts = new Map();
  for (const { dir, pkg } of entries) {
    if (pkg.name.startsWith('@img/sharp-libvips-')) {
      lines.push(`## ${pkg.name} ${pkg.version}`, '', `License: ${pkg.license}`, '', libvipsSection(dir, pkg), '');
    }
    const files = fs.readdirSync(dir).filter((f) => LICENSE_FILE.test(f)).sort();
    const text = files.map((f) => fs.readFileSync(path.join(dir, f), 'utf8').trimEnd()).join('\n\n')
      || `(the package ships no license file; its package.json declares ${pkg.license}.)`;
    if (!texts.has(text)) texts.set(text, []);
    texts.get(text).push(`${pkg.name} ${pkg.version}`);
  }
  for (const [text, names] of texts) {
    lines.push(`## ${names.join(', ')}`, '', '```text', text, '```', '');
  }
  fs.writeFileSync(outFile, lines.join('\n'));
  return entries.length;
}
