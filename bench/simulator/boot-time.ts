/**
 * How long a launch takes before the worker polls, as the simulator models it: EC2's part (from the
 * launch request until the instance runs its user data; billed from launch: Auto Scaling instance
 * lifecycle, "You are billed for instances as soon as they are launched, including the time that they
 * are not yet in service") and the instance's own boot, measured by the boot proof
 * (test/integration/boot/, which commits bench/boot/boot-steps.json: the user data's steps and the
 * service's start up to the worker's ready line) when that file exists.
 */
import * as fs from 'fs';
import * as path from 'path';

export interface BootTime {
  readonly launchSeconds: number;
  readonly userDataSeconds: number;
  readonly totalSeconds: number;
  /** Where the figures come from (shown in docs/benchmarks.md). */
  readonly origin: string;
  /** The boot proof's step times, when measured. */
  readonly steps?: ReadonlyArray<{ readonly name: string; readonly seconds: number }>;
}

/**
 * EC2 launch to user data: AWS documents no figure. 40 s is an assumption (a Nitro instance reaching
 * `running` and cloud-init starting its user data); it is stated beside the results as such, and the
 * boot proof cannot measure it (its file lists it under `notMeasured`).
 */
export const EC2_LAUNCH_SECONDS = 40;
/**
 * The instance's own boot when the boot proof's file is absent: an assumption (Node.js from the
 * distribution's packages, the bundle from S3, the service's start), stated as such.
 */
export const USER_DATA_SECONDS_WITHOUT_MEASUREMENT = 50;

/** The boot proof's file (schema 1, /work/wt/NOTES.md of 2026-12-02; written by test/integration/boot/boot.test.ts). */
export const BOOT_STEPS_FILE = path.join(__dirname, '..', 'boot', 'boot-steps.json');

interface BootStepsV1 {
  readonly schema: 1;
  readonly measuredAt?: string;
  readonly source?: string;
  readonly conditions?: { readonly machine?: string; readonly root?: string; readonly notes?: readonly string[] };
  readonly steps?: ReadonlyArray<{ readonly name: string; readonly seconds: number }>;
  readonly bootScriptSeconds?: number;
  readonly serviceToReadySeconds?: number;
}

function positive(n: unknown): n is number {
  return typeof n === 'number' && Number.isFinite(n) && n >= 0;
}

export function bootTime(file = BOOT_STEPS_FILE): BootTime {
  if (fs.existsSync(file)) {
    const m = JSON.parse(fs.readFileSync(file, 'utf8')) as BootStepsV1;
    const steps = (m.steps ?? []).filter((st) => positive(st.seconds));
    const script = positive(m.bootScriptSeconds) ? m.bootScriptSeconds : steps.reduce((a, st) => a + st.seconds, 0);
    const ready = positive(m.serviceToReadySeconds) ? m.serviceToReadySeconds : 0;
    const own = script + ready;
    if (m.schema === 1 && own > 0) {
      const where = [m.conditions?.machine, m.conditions?.root].filter(Boolean).join('; ');
      return {
        launchSeconds: EC2_LAUNCH_SECONDS,
        userDataSeconds: own,
        totalSeconds: EC2_LAUNCH_SECONDS + own,
        steps,
        origin: `EC2 launch ${EC2_LAUNCH_SECONDS} s (assumption: AWS documents no figure) + ${own.toFixed(1)} s measured by the boot proof `
          + `(bench/boot/boot-steps.json, ${m.measuredAt ?? 'undated'}${where ? `, ${where}` : ''}: user data ${script.toFixed(1)} s = `
          + `${steps.map((st) => `${st.name} ${st.seconds.toFixed(1)} s`).join(' + ')}, then service start to ready ${ready.toFixed(1)} s)`,
      };
    }
  }
  return {
    launchSeconds: EC2_LAUNCH_SECONDS,
    userDataSeconds: USER_DATA_SECONDS_WITHOUT_MEASUREMENT,
    totalSeconds: EC2_LAUNCH_SECONDS + USER_DATA_SECONDS_WITHOUT_MEASUREMENT,
    origin: `EC2 launch ${EC2_LAUNCH_SECONDS} s + instance boot ${USER_DATA_SECONDS_WITHOUT_MEASUREMENT} s, both assumptions `
      + '(bench/boot/boot-steps.json from the boot proof is absent)',
  };
}
