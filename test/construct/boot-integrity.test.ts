/* eslint-disable no-bitwise */ // file modes and flipping one byte
import { execFileSync, spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as s3_assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { WorkerHandler, WorkerHandlerConfig } from '../../src';
import { FAKE_BUNDLE, FIXTURES, synthFleet, userDataOf } from './support/fleet-stack';
import { zipFolder } from '../../src/deterministic-zip';
import { renderWorkerBootScript } from '../../src/worker-user-data';

const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

describe('deterministic zip of a folder', () => {
  let dir: string;
  beforeAll(() => {
    dir = tmpDir('zip-src-');
    fs.mkdirSync(path.join(dir, 'b', 'c'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'a.js'), 'console.log("a");\n'.repeat(50));
    fs.writeFileSync(path.join(dir, 'b', 'c', 'tool'), '#!/bin/sh\necho hi\n');
    fs.chmodSync(path.join(dir, 'b', 'c', 'tool'), 0o755);
    fs.writeFileSync(path.join(dir, 'b', 'empty'), '');
    fs.symlinkSync('c/tool', path.join(dir, 'b', 'link'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('the same bytes for the same files, whatever their timestamps', () => {
    const first = zipFolder(dir);
    fs.utimesSync(path.join(dir, 'a.js'), new Date(2001, 1, 1), new Date(2001, 1, 1));
    expect(sha256(zipFolder(dir))).toBe(sha256(first));
    fs.appendFileSync(path.join(dir, 'b', 'empty'), 'x');
    expect(sha256(zipFolder(dir))).not.toBe(sha256(first));
    fs.writeFileSync(path.join(dir, 'b', 'empty'), '');
  });

  test('unzip (as the boot script runs it) restores contents, the execute bit and links, and its test finds no error', () => {
    const out = tmpDir('zip-out-');
    try {
      const zip = path.join(out, 'bundle.zip');
      fs.writeFileSync(zip, zipFolder(dir));
      expect(spawnSync('unzip', ['-tq', zip], { encoding: 'utf8' }).status).toBe(0);
      execFileSync('unzip', ['-q', '-o', zip, '-d', path.join(out, 'x')]);
      expect(fs.readFileSync(path.join(out, 'x', 'a.js'), 'utf8')).toBe(fs.readFileSync(path.join(dir, 'a.js'), 'utf8'));
      expect(fs.statSync(path.join(out, 'x', 'b', 'c', 'tool')).mode & 0o111).toBe(0o111);
      expect(fs.statSync(path.join(out, 'x', 'a.js')).mode & 0o111).toBe(0);
      expect(fs.readFileSync(path.join(out, 'x', 'b', 'empty'), 'utf8')).toBe('');
      expect(fs.readlinkSync(path.join(out, 'x', 'b', 'link'))).toBe('c/tool');
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('boot integrity: the digests in the user data are those of the uploaded objects', () => {
  test('the runtime bundle: a zip file asset whose sha256 the user data checks before unzip', () => {
    const { app, fleet, template } = synthFleet();
    const asset = fleet.node.findChild('RuntimeBundle') as s3_assets.Asset;
    // The object cdk deploy uploads is this staged file, as it is (file packaging, no zipping at publish).
    const staged = path.isAbsolute(asset.assetPath) ? asset.assetPath : path.join(app.outdir, asset.assetPath);
    expect(fs.statSync(staged).isFile()).toBe(true);
    const digest = sha256(fs.readFileSync(staged));
    const script = userDataOf(template);
    const lines = script.split('\n');
    const check = lines.findIndex((l) => l === `echo "${digest}  $archive" | sha256sum --check --strict -`);
    expect(check).toBeGreaterThan(0);
    expect(lines[check - 1]).toMatch(/^aws s3api get-object .*--bucket "[^"]+" --key "[0-9a-f]{64}\.zip" "\$archive" >\/dev\/null$/);
    expect(lines[check + 1]).toBe('unzip -q -o "$archive" -d "/opt/spot-worker"');
    // It unpacks to the bundle folder.
    const out = tmpDir('bundle-out-');
    try {
      execFileSync('unzip', ['-q', staged, '-d', out]);
      expect(fs.readFileSync(path.join(out, 'spot-worker.js'))).toEqual(fs.readFileSync(path.join(FAKE_BUNDLE, 'spot-worker.js')));
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  test('every download names the expected bucket owner (this account)', () => {
    const script = userDataOf(synthFleet({ handler: WorkerHandler.fromModule(path.join(FIXTURES, 'handler.js')) }).template);
    const copies = script.split('\n').filter((l) => l.startsWith('aws s3'));
    expect(copies).toHaveLength(2);
    for (const c of copies) expect(c).toContain('--expected-bucket-owner "$ASSET_BUCKET_OWNER"');
    expect(script).toContain("ASSET_BUCKET_OWNER='<AWS::AccountId>'");
  });

  test('a handler file: its own sha256 is checked before it is moved into place', () => {
    const file = path.join(FIXTURES, 'handler.js');
    const script = userDataOf(synthFleet({ handler: WorkerHandler.fromModule(file) }).template);
    const lines = script.split('\n');
    const check = lines.indexOf(`echo "${sha256(fs.readFileSync(file))}  $fetched" | sha256sum --check --strict -`);
    expect(check).toBeGreaterThan(0);
    expect(lines.slice(check + 1, check + 3)).toEqual(['chmod 0644 "$fetched"', 'mv -f "$fetched" "/opt/spot-worker-handler/handler.js"']);
  });

  test('a handler folder is zipped by the construct too, and its zip digest is checked', () => {
    const { fleet, template } = synthFleet({ handler: WorkerHandler.fromModule(path.join(FIXTURES, 'handler-folder'), { entry: 'dist/index.js' }) });
    const digest = sha256(zipFolder(path.join(FIXTURES, 'handler-folder')));
    expect(userDataOf(template)).toContain(`echo "${digest}  $archive" | sha256sum --check --strict -`);
    expect((fleet.node.findChild('HandlerModule') as s3_assets.Asset).s3ObjectKey).toMatch(/\.zip$/);
  });

  test('a custom handler whose asset has no sha256 fails synth with what to return', () => {
    class NoDigest extends WorkerHandler {
      public bind(scope: Construct): WorkerHandlerConfig {
        return { kind: 'module', asset: new s3_assets.Asset(scope, 'Custom', { path: path.join(FIXTURES, 'handler.js') }), assetFileName: 'handler.js' };
      }
    }
    expect(() => synthFleet({ handler: new NoDigest() })).toThrow(/asset without assetSha256.*Return the sha256 of the file the asset uploads/);
  });

  test('sha256sum --check, as the script runs it, accepts the object and rejects one byte changed', () => {
    const dir = tmpDir('digest-');
    try {
      const archive = path.join(dir, 'bundle.zip');
      fs.writeFileSync(archive, zipFolder(FAKE_BUNDLE));
      const script = renderWorkerBootScript({
        region: 'eu-west-1',
        assetBucketOwner: '111122223333',
        osPackages: [],
        environment: {},
        lifecycleHookName: 'd',
        launchHookName: 'l',
        failureMetric: { namespace: 'N', metricName: 'M', dimensions: {} },
        stopTimeoutSeconds: 60,
        runtimeBundle: { bucket: 'b', key: 'k.zip', sha256: sha256(fs.readFileSync(archive)) },
      });
      const checkLine = script.split('\n').find((l) => l.includes('sha256sum --check'))!;
      const run = () => spawnSync('bash', ['-euo', 'pipefail', '-c', checkLine], { env: { ...process.env, archive }, encoding: 'utf8' });
      expect(run().status).toBe(0);
      const bytes = fs.readFileSync(archive);
      bytes[bytes.length - 30] ^= 1;
      fs.writeFileSync(archive, bytes);
      const tampered = run();
      expect(tampered.status).not.toBe(0);
      expect(tampered.stdout + tampered.stderr).toMatch(/FAILED/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
