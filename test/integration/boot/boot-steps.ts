/**
 * bench/boot/boot-steps.json: how long each step of the user data took in the boot proof (schema 1,
 * read by the scaling simulator, bench/simulator/boot-time.ts). Written only when the proof runs with
 * BOOT_STEPS_WRITE=1 (docs/boot.md); figures are recorded, never asserted.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const BOOT_STEPS_FILE = path.join(__dirname, '..', '..', '..', 'bench', 'boot', 'boot-steps.json');

export interface BootStepsV1 {
  readonly schema: 1;
  readonly measuredAt: string;
  readonly source: string;
  readonly conditions: { readonly machine: string; readonly root: string; readonly notes: string[] };
  /** In boot order: each marker to the next (`done` ends the last step). */
  readonly steps: Array<{ readonly name: string; readonly seconds: number }>;
  /** First marker to `step=done`. */
  readonly bootScriptSeconds: number;
  /** `step=done` to the worker's `worker started` line (0 when that line came first). */
  readonly serviceToReadySeconds: number;
  readonly notMeasured: string[];
}

const round = (s: number) => Math.round(s * 1000) / 1000;

/** The record of one boot: `markers` are the script's `step=<name> at=<epoch s>` lines, `readyAt` the worker's ready line (epoch s). */
export function bootStepsRecord(markers: Array<{ name: string; at: number }>, readyAt: number, loadAtStart: number): BootStepsV1 {
  const done = markers.findIndex((m) => m.name === 'done');
  if (done < 1) throw new Error(`no step=done after the other steps: ${markers.map((m) => m.name).join(', ')}`);
  const steps = markers.slice(0, done).map((m, i) => ({ name: m.name, seconds: round(markers[i + 1].at - m.at) }));
  return {
    schema: 1,
    measuredAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    source: 'test/integration/boot/boot.test.ts (BOOT_STEPS_WRITE=1 npx jest test/integration/boot/boot.test.ts)',
    conditions: {
      machine: `${os.arch()}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim() ?? 'unknown'}), load average ${loadAtStart.toFixed(2)} at the start, shared with other jobs`,
      root: 'Debian trixie chroot (debootstrap minbase, AWS CLI 2.23) in its own namespaces; moto and the EC2 metadata mock on loopback',
      notes: [
        'packages: the dnf shim copies a staged Node.js 22 (no repository, no download); on AL2023 dnf resolves and downloads nodejs22',
        'runtime: the x64 bundle from moto on loopback (no network latency, no S3 throughput limit)',
        'service: the systemctl shim forks the service; systemd and the Node.js start are on this machine, not on a Graviton instance',
      ],
    },
    steps,
    bootScriptSeconds: round(markers[done].at - markers[0].at),
    serviceToReadySeconds: round(Math.max(0, readyAt - markers[done].at)),
    notMeasured: [
      'EC2: launch request to the instance running its user data (boot of the AMI, cloud-init up to scripts-user)',
      'a package repository and S3 over the network',
      'the launching hook completion (moto has no CompleteLifecycleAction)',
    ],
  };
}

export function writeBootSteps(record: BootStepsV1, file = BOOT_STEPS_FILE): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(record, null, 2) + '\n');
}
