/**
 * A stand-in EC2 instance for the boot proof: a fresh copy (overlay) of the Debian root that
 * scripts/peers.sh builds (.peers/boot-rootfs), in network, mount and PID namespaces of its own
 * (`unshare --net --mount --pid --fork`). Inside the network namespace 169.254.169.254 is a
 * loopback address, so the metadata mock can listen where IMDS does; processes the test starts
 * in the namespaces (peers, the boot script) die with them when the instance is stopped.
 *
 * The test reaches servers inside through unix sockets (unix-bridge.js): `forward(port)` makes
 * 127.0.0.1:<port> outside lead to 127.0.0.1:<port> inside, so URLs a peer hands out (moto's
 * queue URLs) are the same on both sides.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..', '..');
export const BOOT_ROOTFS = process.env.BOOT_ROOTFS || path.join(ROOT, '.peers', 'boot-rootfs');
const SHIMS = path.join(__dirname, 'shims');
/** Where the dnf shim takes Node.js 22 from (shims/dnf). */
export const NODE_STAGE = '/var/cache/dnf-shim/nodejs22';

export interface ExecResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface InstanceOptions {
  /** A Node.js 22 distribution folder (bin/node) to stage for the dnf shim. */
  readonly nodeDir: string;
}

export class BootInstance {
  /** Starts the namespaces and mounts the instance's root; `stop()` ends everything. */
  static async start(options: InstanceOptions): Promise<BootInstance> {
    if (!fs.existsSync(path.join(BOOT_ROOTFS, '.boot-rootfs-spec'))) throw new Error(`no boot root at ${BOOT_ROOTFS}: run bash scripts/peers.sh as root`);
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'spot-boot-'));
    for (const d of ['upper', 'work', 'root']) fs.mkdirSync(path.join(work, d));
    const root = path.join(work, 'root');
    const setup = [
      'set -euo pipefail',
      'ip link set lo up',
      'ip addr add 169.254.169.254/32 dev lo',
      `mount -t overlay overlay -o lowerdir=${BOOT_ROOTFS},upperdir=${work}/upper,workdir=${work}/work ${root}`,
      `mount -t proc proc ${root}/proc`,
      `mount --bind /dev ${root}/dev`,
      `mkdir -p ${root}${NODE_STAGE}`,
      `mount --bind ${options.nodeDir} ${root}${NODE_STAGE}`,
      `mount -o remount,bind,ro ${root}${NODE_STAGE}`,
      'echo ready',
      // PID 1 of the namespace: reaps orphans until the instance is stopped, or until the test process
      // is gone (its end of stdin closes), so that no instance outlives a test run that was killed.
      'exec 3<&0',
      'cat <&3 >/dev/null & wait $!',
    ].join('\n');
    const holder = spawn('unshare', ['--net', '--mount', '--pid', '--fork', '--kill-child', '--mount-proc', 'bash', '-c', setup], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    holder.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    holder.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
    const instance = new BootInstance(work, root, holder);
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`instance namespaces not ready after 30 s: ${out}`)), 30_000);
        holder.stdout!.on('data', () => { if (out.includes('ready\n')) { clearTimeout(timer); resolve(); } });
        holder.once('exit', (code) => { clearTimeout(timer); reject(new Error(`unshare exited (${code}): ${out}`)); });
      });
      instance.pid = childPid(holder.pid!);
      for (const shim of ['dnf', 'systemctl']) {
        fs.copyFileSync(path.join(SHIMS, shim), instance.file(`/usr/bin/${shim}`));
        fs.chmodSync(instance.file(`/usr/bin/${shim}`), 0o755);
      }
    } catch (e) {
      await instance.stop();
      throw e;
    }
    return instance;
  }

  private pid = 0;
  private readonly children: ChildProcess[] = [];
  private readonly servers: net.Server[] = [];
  private readonly sockets = new Set<net.Socket>();

  private constructor(readonly work: string, readonly root: string, private readonly holder: ChildProcess) {}

  /**
   * A path inside the instance's root, as seen from the test: through the root of a process in
   * the instance's mount namespace (the overlay is mounted only there).
   */
  file(p: string): string {
    return path.join(`/proc/${this.pid}/root`, this.root, p);
  }

  /** Starts a host program inside the instance's namespaces (not in its root): a peer. */
  spawnInNamespaces(argv: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): ChildProcess {
    const child = spawn('nsenter', ['-t', String(this.pid), '-n', '-m', '-p', '--', ...argv], {
      stdio: ['ignore', 'pipe', 'pipe'], cwd: options.cwd, env: options.env ?? process.env,
    });
    this.children.push(child);
    return child;
  }

  /**
   * Runs a program as root inside the instance's root (chroot) with exactly `env`, bounded by
   * `timeoutMs`. Processes it leaves behind (services) keep running until `stop()`.
   */
  exec(argv: string[], env: Record<string, string>, timeoutMs = 60_000, input?: string): Promise<ExecResult> {
    const envArgs = Object.entries(env).map(([k, v]) => `${k}=${v}`);
    const child = spawn('nsenter', ['-t', String(this.pid), '-n', '-m', '-p', '--', 'chroot', this.root, '/usr/bin/env', '-i', ...envArgs, ...argv], {
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (input !== undefined) child.stdin!.end(input);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`'${argv.join(' ')}' did not end within ${timeoutMs} ms; stdout: ${stdout.slice(-2000)} stderr: ${stderr.slice(-2000)}`));
      }, timeoutMs);
      child.once('error', (e) => { clearTimeout(timer); reject(e); });
      // 'close', not 'exit': a service it started may hold no copy of these pipes (the shim detaches), so
      // close comes when the command's own output ends.
      child.once('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }); });
    });
  }

  /** A shell command in the root, as root, with a plain environment. */
  sh(script: string, timeoutMs = 60_000): Promise<ExecResult> {
    return this.exec(['/bin/bash', '-c', script], { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root' }, timeoutMs);
  }

  /**
   * Makes `hostPort` on 127.0.0.1 outside lead to `target` (host:port) inside the network
   * namespace. Call once with every target: one bridge process serves them all.
   */
  async forward(targets: Array<{ hostPort: number; target: string }>): Promise<void> {
    const args = targets.map((t, i) => `${path.join(this.work, `bridge-${i}.sock`)}=${t.target}`);
    const bridge = this.spawnInNamespaces([process.execPath, path.join(__dirname, 'unix-bridge.js'), ...args]);
    let out = '';
    bridge.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    bridge.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
    const until = Date.now() + 20_000;
    while ((out.match(/listening/g) ?? []).length < targets.length) {
      if (Date.now() > until || bridge.exitCode !== null) throw new Error(`bridge not listening: ${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await Promise.all(targets.map((t, i) => new Promise<void>((resolve, reject) => {
      const socketPath = path.join(this.work, `bridge-${i}.sock`);
      const server = net.createServer((client) => {
        this.sockets.add(client);
        const upstream = net.connect(socketPath);
        this.sockets.add(upstream);
        client.pipe(upstream).pipe(client);
        const close = () => { client.destroy(); upstream.destroy(); this.sockets.delete(client); this.sockets.delete(upstream); };
        client.on('error', close);
        upstream.on('error', close);
        client.on('close', close);
        upstream.on('close', close);
      });
      server.once('error', reject);
      server.listen(t.hostPort, '127.0.0.1', () => resolve());
      this.servers.push(server);
    })));
  }

  /** Kills everything in the namespaces (the PID namespace ends with its first process) and removes the copy. */
  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await Promise.all(this.servers.map((s) => new Promise((r) => s.close(() => r(undefined)))));
    if (this.holder.exitCode === null && this.holder.signalCode === null) {
      const exited = new Promise((r) => this.holder.once('exit', r));
      // SIGKILL: unshare ignores SIGTERM while it waits; its child (PID 1 inside) gets SIGKILL with it (--kill-child).
      if (this.pid) process.kill(this.pid, 'SIGKILL');
      this.holder.kill('SIGKILL');
      await bounded(exited, 10_000);
    }
    // nsenter processes end when their child (inside the PID namespace) is killed with it.
    const pending = this.children.filter((c) => c.exitCode === null && c.signalCode === null);
    await bounded(Promise.all(pending.map((c) => new Promise((r) => c.once('exit', r)))), 10_000);
    for (const c of pending) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    // The mounts lived in the instance's mount namespace, gone with its processes.
    fs.rmSync(this.work, { recursive: true, force: true });
  }
}

/** Waits for `p`, at most `ms` (the timer does not outlive the wait). */
async function bounded(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise((r) => { timer = setTimeout(r, ms); })]);
  clearTimeout(timer);
}

/** The PID (as seen here) of unshare's forked child: PID 1 of the instance's PID namespace. */
function childPid(unsharePid: number): number {
  const children = fs.readFileSync(`/proc/${unsharePid}/task/${unsharePid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  if (children.length !== 1) throw new Error(`expected one child of unshare (${unsharePid}), found '${children.join(' ')}'`);
  return Number(children[0]);
}
