/**
 * Real peers for integration tests: moto server (S3, SQS, Auto Scaling, CloudWatch),
 * amazon-ec2-metadata-mock, cfn-lint, checkov, qemu. `scripts/peers.sh` installs them under .peers/
 * and `scripts/test.sh` exports their paths; when jest is run directly the same default
 * paths are used. A missing peer skips its suite locally (loudly, and counted as skipped in the
 * test command's closing line) and fails it under CI=true.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');
const DEFAULTS: Record<string, string> = {
  MOTO_SERVER_BIN: path.join(ROOT, '.peers/venv/bin/moto_server'),
  CFN_LINT_BIN: path.join(ROOT, '.peers/venv/bin/cfn-lint'),
  CHECKOV_BIN: path.join(ROOT, '.peers/checkov-venv/bin/checkov'),
  AEMM_BIN: path.join(ROOT, '.peers/bin/ec2-metadata-mock'),
  NODE_ARM64_BIN: path.join(ROOT, '.peers/node-arm64/bin/node'),
  /** x64 Node.js 22 (the instances' version, for this machine). */
  NODE22_HOST_BIN: path.join(ROOT, '.peers/node-x64/bin/node'),
  /** The boot proof's Debian root (debootstrap, as root; test/integration/boot). */
  BOOT_ROOTFS: path.join(ROOT, '.peers/boot-rootfs/.boot-rootfs-spec'),
  QEMU_AARCH64_BIN: '/usr/bin/qemu-aarch64-static',
  PDFIMAGES_BIN: '/usr/bin/pdfimages',
  PDFTOPPM_BIN: '/usr/bin/pdftoppm',
  SYSTEMD_ANALYZE_BIN: '/usr/bin/systemd-analyze',
  /** arm64 glibc + libstdc++ (Debian libc6-arm64-cross, libstdc++6-arm64-cross) for `qemu-aarch64-static -L`. */
  AARCH64_SYSROOT: '/usr/aarch64-linux-gnu',
  /** The runtime's arm64 bundle the example apps deploy (built, not installed). */
  RUNTIME_BUNDLE: path.join(ROOT, 'worker-runtime/dist/bundle-arm64/spot-worker.js'),
  /** The same bundle for x64 (the boot proof's stand-in instance is this machine). */
  RUNTIME_BUNDLE_X64: path.join(ROOT, 'worker-runtime/dist/bundle-x64/spot-worker.js'),
};

/** How to get a peer that `scripts/peers.sh` does not install. */
const HOW_TO_GET: Record<string, string> = {
  RUNTIME_BUNDLE: 'npx projen bundle:runtime',
  RUNTIME_BUNDLE_X64: 'node worker-runtime/scripts/build-bundle.mjs --cpu x64',
  BOOT_ROOTFS: 'bash scripts/peers.sh as root on an x64 machine (debootstrap)',
};

function howToGet(missing: string[]): string {
  const steps = [...new Set(missing.map((p) => HOW_TO_GET[p] ?? 'bash scripts/peers.sh'))];
  return steps.map((s) => `'${s}'`).join(' and ');
}

export type PeerName = keyof typeof DEFAULTS | string;

/** The path of a peer's executable, or undefined when it is not installed. */
export function peerPath(name: PeerName): string | undefined {
  const p = process.env[name] || DEFAULTS[name];
  return p && fs.existsSync(p) ? p : undefined;
}

/**
 * `describe` that needs peers. Missing under CI: the suite fails with the reason.
 * Missing locally: skipped with a warning that says how to install.
 */
export function describeWithPeers(peers: PeerName[], name: string, fn: () => void): void {
  const missing = peers.filter((p) => !peerPath(p));
  if (missing.length === 0) {
    describe(name, fn);
  } else if (process.env.CI === 'true' || process.env.CI === '1') {
    describe(name, () => {
      test(`peers available: ${missing.join(', ')}`, () => {
        throw new Error(`missing peer(s) ${missing.join(', ')}: run ${howToGet(missing)}`);
      });
    });
  } else {
    // eslint-disable-next-line no-console
    console.warn(`SKIPPED '${name}': missing peer(s) ${missing.join(', ')} (run ${howToGet(missing)}; under CI=true this fails)`);
    describe.skip(name, fn);
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address() as net.AddressInfo;
      srv.close(() => resolve(addr.port));
    });
  });
}

export interface RunningPeer {
  readonly endpoint: string;
  readonly port: number;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/** Whether a peer answers as ready (connection errors mean "not yet"). */
type ReadyProbe = (endpoint: string) => Promise<boolean>;

async function waitFor(endpoint: string, ready: ReadyProbe, child: ChildProcess, timeoutMs: number, output: () => string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`peer exited early (${child.exitCode}): ${output()}`);
    try {
      if (await ready(endpoint)) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`peer at ${endpoint} not ready after ${timeoutMs} ms: ${output()}`);
}

function startProcess(bin: string, args: string[], port: number, ready: ReadyProbe): Promise<RunningPeer> {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => { out = (out + d.toString()).slice(-4000); };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };
  return waitFor(endpoint, ready, child, 30_000, () => out).then(
    () => ({ endpoint, port, process: child, stop }),
    async (e) => { await stop(); throw e; },
  );
}

/** Starts a fresh moto server on 127.0.0.1 and a free port. */
export async function startMoto(): Promise<RunningPeer> {
  const bin = peerPath('MOTO_SERVER_BIN');
  if (!bin) throw new Error('moto_server is not installed: run bash scripts/peers.sh');
  const port = await freePort();
  return startProcess(bin, ['-H', '127.0.0.1', '-p', String(port)], port, async (endpoint) => {
    const res = await fetch(`${endpoint}/moto-api/`);
    await res.arrayBuffer();
    return res.status < 500;
  });
}

/**
 * Starts amazon-ec2-metadata-mock (IMDSv2 only) on 127.0.0.1 with extra arguments (e.g. `spot -a
 * terminate`), on a free port or on `port` (restarting a mock where the runtime already points:
 * a fresh mock knows none of the old session tokens). Ready once it issues a session token.
 */
export async function startMetadataMock(args: string[] = [], port?: number): Promise<RunningPeer> {
  const bin = peerPath('AEMM_BIN');
  if (!bin) throw new Error('ec2-metadata-mock is not installed: run bash scripts/peers.sh');
  const p = port ?? await freePort();
  return startProcess(bin, [...args, '-n', '127.0.0.1', '-p', String(p), '-I'], p, async (endpoint) => {
    const res = await fetch(`${endpoint}/latest/api/token`, { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' } });
    await res.arrayBuffer();
    return res.status === 200;
  });
}

/** Credentials and endpoints that point the AWS SDK at a moto server. */
export function motoEnv(endpoint: string): Record<string, string> {
  return {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_ENDPOINT_URL: endpoint,
  };
}
