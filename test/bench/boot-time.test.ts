/** The simulator's boot time: the boot proof's measured steps (schema 1) when present, stated assumptions otherwise. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { bootTime, EC2_LAUNCH_SECONDS, USER_DATA_SECONDS_WITHOUT_MEASUREMENT } from '../../bench/simulator/boot-time';

describe('bootTime', () => {
  let dir: string;
  beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'boot-steps-')); });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('a boot proof file: EC2 launch assumption + user data + service start to ready, with its steps and date', () => {
    const file = path.join(dir, 'boot-steps.json');
    fs.writeFileSync(file, JSON.stringify({
      schema: 1,
      measuredAt: '2026-12-02T15:00:00Z',
      conditions: { machine: 'aarch64, 2 cpus' },
      steps: [{ name: 'metadata', seconds: 1.5 }, { name: 'packages', seconds: 20 }, { name: 'runtime', seconds: 3.5 }],
      bootScriptSeconds: 25,
      serviceToReadySeconds: 4,
    }));
    const b = bootTime(file);
    expect(b).toMatchObject({ launchSeconds: EC2_LAUNCH_SECONDS, userDataSeconds: 29, totalSeconds: EC2_LAUNCH_SECONDS + 29 });
    expect(b.steps).toHaveLength(3);
    expect(b.origin).toMatch(/measured by the boot proof .*2026-12-02T15:00:00Z.*packages 20\.0 s.*ready 4\.0 s/);
  });

  test('no file (or one without positive times): the stated assumptions, saying the file is absent', () => {
    const none = bootTime(path.join(dir, 'missing.json'));
    expect(none.totalSeconds).toBe(EC2_LAUNCH_SECONDS + USER_DATA_SECONDS_WITHOUT_MEASUREMENT);
    expect(none.origin).toMatch(/assumptions .*absent/);
    const empty = path.join(dir, 'empty.json');
    fs.writeFileSync(empty, JSON.stringify({ schema: 1, steps: [] }));
    expect(bootTime(empty).totalSeconds).toBe(none.totalSeconds);
  });
});
