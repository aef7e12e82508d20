/**
 * From the tarball to a PDF (issue 10): what a user installs is what is tested.
 *
 * 1. `npx projen package:js` packs both packages into dist/js (as a user's release would).
 * 2. In a folder outside the repository, a new CDK app installs the construct's tarball with
 *    aws-cdk-lib and constructs from the npm registry, type-checks and synthesizes README.md's
 *    TypeScript example with no AWS credentials. The runtime asset its template references (a
 *    zip the construct writes, uploaded as it is) has the sha256 the user data checks, is
 *    unzipped as the user data does, and run as the
 *    instances run it: `spot-worker.js run` on the arm64 Node 22 under qemu, against moto,
 *    converting an uploaded sample image into a PDF that embeds the JPEG byte for byte.
 * 3. A second folder installs only the runtime's tarball (sharp from the registry for this
 *    machine) and runs `spot-worker --version`, `convert` and `local` on the sample images, with
 *    Node 22 (the instances' version).
 */
import { execFileSync, spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { createMotoFleet, MotoFleet } from '../integration/aemm/moto-fleet';
import { waitUntil } from '../integration/aemm/support';
import { Arm64Worker, startArm64Worker } from '../integration/arm64/arm64-worker';
import { describeWithPeers, freePort, peerPath, RunningPeer, startMetadataMock, startMoto } from '../support/peers';

const ROOT = path.join(__dirname, '..', '..');
const SAMPLES = path.join(ROOT, 'examples', 'sample-images');
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const RUNTIME_PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'worker-runtime', 'package.json'), 'utf8'));
const CONSTRUCT_TGZ = path.join(ROOT, 'dist', 'js', `${PKG.name}@${PKG.version}.jsii.tgz`);
const RUNTIME_TGZ = path.join(ROOT, 'dist', 'js', `${RUNTIME_PKG.name}-${PKG.version}.tgz`);
// Installing aws-cdk-lib from the registry and running under qemu take minutes on a shared machine.
const SLOW = 600_000;

/**
 * This machine's environment (its npm configuration, proxy and CA settings) without any AWS
 * credentials or configuration: no AWS_* variable, config files that do not exist, no IMDS.
 */
function cleanEnv(dir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_') && !k.startsWith('CDK_')) env[k] = v;
  return {
    ...env,
    AWS_CONFIG_FILE: path.join(dir, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'no-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    npm_config_update_notifier: 'false',
    ...extra,
  };
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): string {
  // stdin closed: nothing may wait for input; bounded, so a stuck install fails the test instead of hanging it.
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'], timeout: 480_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** README.md's first TypeScript example (the "Use it" one). */
function readmeExample(): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const block = /^```ts\n([\s\S]*?)^```/m.exec(readme);
  if (!block || !block[1].includes("from 'cdk-spot-worker-fleet'")) throw new Error('README.md has no TypeScript example importing cdk-spot-worker-fleet');
  return block[1];
}

function jpegStream(pdf: Buffer, jpeg: Buffer): boolean {
  return pdf.indexOf(jpeg) > 0;
}

beforeAll(() => {
  // The packages a user's release would publish, packed from this tree (bundle cached).
  execFileSync('npx', ['projen', 'package:js'], { cwd: ROOT, stdio: 'pipe' });
  for (const f of [CONSTRUCT_TGZ, RUNTIME_TGZ]) expect(fs.existsSync(f)).toBe(true);
}, SLOW);

describeWithPeers(['QEMU_AARCH64_BIN', 'NODE_ARM64_BIN', 'AARCH64_SYSROOT', 'MOTO_SERVER_BIN', 'AEMM_BIN'], 'the construct tarball in a new CDK app', () => {
  let app: string;
  let moto: RunningPeer | undefined;
  let mock: RunningPeer | undefined;
  let fleet: MotoFleet | undefined;
  let worker: Arm64Worker | undefined;

  beforeAll(() => {
    app = fs.mkdtempSync(path.join(os.tmpdir(), 'tarball-cdk-app-'));
  });
  afterAll(async () => {
    await worker?.kill();
    await mock?.stop();
    fleet?.destroy();
    await moto?.stop();
    if (app) fs.rmSync(app, { recursive: true, force: true });
  });

  test('installs from the tarball and the registry, synthesizes the README example without credentials, and its asset converts an image on arm64', async () => {
    const env = cleanEnv(app);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({
      name: 'new-cdk-app',
      private: true,
      dependencies: {
        [PKG.name]: `file:${CONSTRUCT_TGZ}`,
        'aws-cdk-lib': PKG.devDependencies['aws-cdk-lib'],
        'constructs': PKG.devDependencies.constructs,
      },
    }, null, 2));
    run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], app, env);
    expect(fs.realpathSync(path.join(app, 'node_modules', PKG.name))).toContain(path.join(app, 'node_modules'));

    // Type-checked against the installed typings, then run as `cdk synth` runs an app.
    fs.writeFileSync(path.join(app, 'app.ts'), readmeExample());
    fs.writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'commonjs', strict: true, skipLibCheck: true, types: [], noUnusedLocals: true },
      files: ['app.ts'],
    }));
    run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json'], app, env);
    const outdir = path.join(app, 'cdk.out');
    run(process.execPath, ['app.js'], app, { ...env, CDK_OUTDIR: outdir });

    const template = fs.readFileSync(path.join(outdir, 'ImagesToPdf.template.json'), 'utf8');
    const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'ImagesToPdf.assets.json'), 'utf8'));
    const referenced = Object.entries(manifest.files as Record<string, { source: { path: string; packaging?: string } }>)
      .filter(([hash, a]) => template.includes(`${hash}.zip`) && a.source.path.endsWith('.zip'));
    expect(referenced).toHaveLength(1);
    const [[, asset]] = referenced;
    // The construct zips the bundle itself (its sha256 is in the user data), so deploy uploads the file as it is.
    expect(asset.source.packaging ?? 'file').toBe('file');
    const zip = path.join(outdir, asset.source.path);
    const digest = crypto.createHash('sha256').update(fs.readFileSync(zip)).digest('hex');
    expect(template).toContain(`echo \\"${digest}  $archive\\" | sha256sum --check --strict -`);
    const installed = path.join(app, 'opt-spot-worker');
    run('unzip', ['-q', '-o', zip, '-d', installed], app, env);
    expect(fs.existsSync(path.join(installed, 'node_modules', '@img', 'sharp-linux-arm64'))).toBe(true);
    expect(fs.existsSync(path.join(installed, 'THIRD-PARTY-NOTICES.md'))).toBe(true);

    moto = await startMoto();
    fleet = await createMotoFleet(moto.endpoint);
    const f = fleet;
    const imdsPort = await freePort();
    // As the instances run it (user data: systemd, node --enable-source-maps spot-worker.js run).
    worker = startArm64Worker(installed, moto.endpoint, f, imdsPort);
    await worker.started(120_000);

    const jpeg = fs.readFileSync(path.join(SAMPLES, 'rose.jpg'));
    await f.upload('uploads/samples/rose.jpg', jpeg);
    const pdf = await waitUntil('the PDF in S3', async () => {
      try {
        const res = await f.s3.send(new GetObjectCommand({ Bucket: f.bucket, Key: 'processed/samples/rose.jpg.pdf' }));
        return Buffer.from(await res.Body!.transformToByteArray());
      } catch { return undefined; }
    }, 120_000);
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(jpegStream(pdf, jpeg)).toBe(true);

    // A Spot notice ends it the way an instance ends: drained, exit 0.
    mock = await startMetadataMock(['spot', '-a', 'terminate', '-d', '0', '--rebalance-delay-sec', '3600'], imdsPort);
    const exit = await worker.exit(120_000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(await f.counts(f.dlqUrl)).toEqual({ visible: 0, inFlight: 0 });
  }, SLOW);
});

describeWithPeers(['NODE22_HOST_BIN'], 'the runtime tarball alone, on this machine with Node 22', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tarball-runtime-'));
  });
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('installs into an empty folder; spot-worker --version, convert and local work there', () => {
    const node22 = path.dirname(peerPath('NODE22_HOST_BIN')!);
    // Node 22 first on PATH: `npm install` and the `spot-worker` bin both run on it.
    const env = cleanEnv(dir, { PATH: `${node22}:${process.env.PATH ?? '/usr/bin:/bin'}` });
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'empty-folder', private: true }));
    run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', RUNTIME_TGZ], dir, env);
    const bin = path.join(dir, 'node_modules', '.bin', 'spot-worker');
    expect(run(bin, ['--version'], dir, env)).toBe(`${PKG.version}\n`);
    expect(run('node', ['--version'], dir, env)).toMatch(/^v22\./);

    const a = fs.readFileSync(path.join(SAMPLES, 'rose.jpg'));
    const b = fs.readFileSync(path.join(SAMPLES, 'wizard.jpg'));
    fs.writeFileSync(path.join(dir, 'rose.jpg'), a);
    fs.writeFileSync(path.join(dir, 'wizard.jpg'), b);
    const converted = run(bin, ['convert', 'rose.jpg', 'wizard.jpg', '--out', 'out'], dir, env);
    expect(converted).toMatch(/^converted 2 of 2 image\(s\), 0 failed, in /);
    expect(jpegStream(fs.readFileSync(path.join(dir, 'out', 'rose.jpg.pdf')), a)).toBe(true);
    expect(jpegStream(fs.readFileSync(path.join(dir, 'out', 'wizard.jpg.pdf')), b)).toBe(true);

    // Local mode on the sample images (two broken on purpose: they end in the DLQ with a reason).
    const images = path.join(dir, 'photos');
    fs.cpSync(SAMPLES, images, { recursive: true });
    const local = spawnSync(bin, ['local', '--images', 'photos', '--out', 'run', '--label', 'tarball'], { cwd: dir, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
    expect(local.stderr).toBe('');
    expect(local.status).toBe(0);
    const report = JSON.parse(fs.readFileSync(path.join(dir, 'run', 'report.json'), 'utf8'));
    const jpegs = fs.readdirSync(images, { recursive: true }).filter((f) => /\.jpe?g$/i.test(String(f)));
    expect(report.images).toBe(jpegs.length);
    expect(report.pdfs + report.deadLetterEntries.length).toBe(report.images);
    expect(report.deadLetterEntries.length).toBeGreaterThanOrEqual(1);
    expect(report.unaccounted).toEqual([]);
    expect(fs.existsSync(path.join(dir, 'run', 'chart.svg'))).toBe(true);
  }, SLOW);
});
