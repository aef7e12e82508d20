/**
 * How long a launch takes before the worker polls, as the simulator models it: EC2's part (from the
 * launch request until the instance runs its user data, billed from launch: Auto Scaling instance
 * lifecycle, "You are billed for instances as soon as they are launched, including the time that they
 * are not yet in service") and the user data's steps, measured by the boot proof
 * (test/integration/boot/, which writes bench/out/boot-steps.json) when that file exists.
 */
import * as fs from 'fs';
import * as path from 'path';

export interface BootTime {
  readonly launchSeconds: number;
  readonly userDataSeconds: number;
  readonly totalSeconds: number;
  /** Where the figures come from (shown in docs/benchmarks.md). */
  readonly origin: string;
}

/**
 * EC2 launch to user data: AWS documents no figure. 40 s is an assumption from the usual range of a
 * Nitro instance reaching `running` and cloud-init starting user data; it is stated beside the
 * results as such.
 */
export const EC2_LAUNCH_SECONDS = 40;
/** The user data's steps when no boot proof measurement is at hand (dnf install of Node.js, the bundle, start). */
export const USER_DATA_SECONDS_WITHOUT_MEASUREMENT = 50;

export function bootTime(outDir: string): BootTime {
  const file = path.join(outDir, 'boot-steps.json');
  if (fs.existsSync(file)) {
    const m = JSON.parse(fs.readFileSync(file, 'utf8'));
    const steps: Array<{ name: string; seconds: number }> = m.steps ?? [];
    const userData = typeof m.totalSeconds === 'number' ? m.totalSeconds : steps.reduce((a, s) => a + s.seconds, 0);
    if (Number.isFinite(userData) && userData > 0) {
      return {
        launchSeconds: EC2_LAUNCH_SECONDS,
        userDataSeconds: userData,
        totalSeconds: EC2_LAUNCH_SECONDS + userData,
        origin: `EC2 launch ${EC2_LAUNCH_SECONDS} s (assumption) + user data ${userData.toFixed(1)} s measured by the boot proof (${m.date ?? 'undated'}: ${steps.map((s) => `${s.name} ${s.seconds.toFixed(1)} s`).join(', ')})`,
      };
    }
  }
  return {
    launchSeconds: EC2_LAUNCH_SECONDS,
    userDataSeconds: USER_DATA_SECONDS_WITHOUT_MEASUREMENT,
    totalSeconds: EC2_LAUNCH_SECONDS + USER_DATA_SECONDS_WITHOUT_MEASUREMENT,
    origin: `EC2 launch ${EC2_LAUNCH_SECONDS} s (assumption) + user data ${USER_DATA_SECONDS_WITHOUT_MEASUREMENT} s (placeholder: bench/out/boot-steps.json from the boot proof is absent)`,
  };
}
