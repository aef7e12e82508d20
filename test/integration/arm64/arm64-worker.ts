/**
 * `spot-worker.js run` from an arm64 bundle folder, the way an instance runs it: the arm64 Node 22
 * under qemu-aarch64 with Debian's arm64 sysroot, against moto (and a metadata mock on
 * `imdsPort`), for the moto fleet's queue and group. Collects the JSON log lines; stops with
 * SIGKILL if a test ends early.
 */
import { ChildProcess, spawn } from 'child_process';
import * as path from 'path';
import { motoEnv, peerPath } from '../../support/peers';
import { MotoFleet } from '../aemm/moto-fleet';
import { waitUntil } from '../aemm/support';

export interface Arm64Worker {
  readonly child: ChildProcess;
  readonly logs: Array<Record<string, unknown>>;
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  /** The last 4000 characters of stderr. */
  stderr(): string;
  /** Resolves on the `worker started` log line; rejects with stderr if the process exits first. */
  started(timeoutMs: number): Promise<unknown>;
  /** The exit, or a rejection with stderr after timeoutMs. */
  exit(timeoutMs: number): Promise<{ code: number | null; signal: string | null }>;
  kill(): Promise<void>;
}

export function startArm64Worker(bundleDir: string, motoEndpoint: string, fleet: MotoFleet, imdsPort: number): Arm64Worker {
  const logs: Array<Record<string, unknown>> = [];
  let stderr = '';
  let partial = '';
  const child = spawn(peerPath('QEMU_AARCH64_BIN')!, ['-L', peerPath('AARCH64_SYSROOT')!, peerPath('NODE_ARM64_BIN')!, '--enable-source-maps', path.join(bundleDir, 'spot-worker.js'), 'run'], {
    env: {
      PATH: process.env.PATH ?? '',
      ...motoEnv(motoEndpoint),
      AWS_EC2_METADATA_SERVICE_ENDPOINT: `http://127.0.0.1:${imdsPort}`,
      SPOT_WORKER_QUEUE_URL: fleet.queueUrl,
      SPOT_WORKER_DLQ_URL: fleet.dlqUrl,
      SPOT_WORKER_ASG_NAME: fleet.groupName,
      SPOT_WORKER_INSTANCE_ID: fleet.instanceId,
      SPOT_WORKER_IMDS_POLL_SECONDS: '1',
      SPOT_WORKER_IDLE_GRACE_SECONDS: '600',
      SPOT_WORKER_METRICS: 'none',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => {
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop()!;
    for (const l of lines) if (l.startsWith('{')) logs.push(JSON.parse(l));
  });
  child.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
  const exited = new Promise<{ code: number | null; signal: string | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  return {
    child,
    logs,
    stderr: () => stderr,
    exited,
    started: (timeoutMs) => waitUntil('worker started', () => {
      if (child.exitCode !== null) throw new Error(`spot-worker exited ${child.exitCode}: ${stderr}`);
      return logs.find((l) => l.msg === 'worker started');
    }, timeoutMs),
    exit: async (timeoutMs) => {
      let timer: NodeJS.Timeout | undefined;
      return Promise.race([
        exited,
        new Promise<never>((_, rej) => { timer = setTimeout(() => rej(new Error(`no exit within ${timeoutMs / 1000} s: ${stderr}`)), timeoutMs); }),
      ]).finally(() => clearTimeout(timer));
    },
    kill: async () => {
      if (child.exitCode === null && !child.signalCode) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await gone;
      }
    },
  };
}
