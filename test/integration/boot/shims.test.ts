/**
 * The boot proof's stand-ins for AL2023's dnf and for systemd (shims/), tested in the root they
 * run in (a stand-in instance, instance.ts): they do what the worker's boot script relies on,
 * and refuse what they do not model, so the boot proof cannot pass on something they ignore.
 */
import * as fs from 'fs';
import * as path from 'path';
import { BootInstance } from './instance';
import { quoteEnvValue } from '../../../src/worker-user-data';
import { describeWithPeers, peerPath } from '../../support/peers';
import { waitUntil } from '../aemm/support';

/** The x64 Node.js 22 distribution (scripts/peers.sh) the dnf shim installs as nodejs22. */
const NODE_DIR = path.dirname(path.dirname(peerPath('NODE22_HOST_BIN') ?? '/nonexistent/bin/node'));

/** A service that reports how it was started, fails its first N starts, then exits or waits for SIGTERM. */
const PROBE = `import json, os, signal, sys, time
sd = os.environ['STATE_DIRECTORY']
n = len([f for f in os.listdir(sd) if f.startswith('start-')]) + 1
st = os.stat(sd)
report = {'uid': os.getuid(), 'gid': os.getgid(), 'cwd': os.getcwd(), 'argv': sys.argv, 'env': dict(os.environ),
          'stateDirOwner': st.st_uid, 'stateDirMode': oct(st.st_mode & 0o777)}
with open(f'{sd}/start-{n}.json', 'w') as f:
    json.dump(report, f)
mode, fails = sys.argv[1], int(sys.argv[2])
if n <= fails:
    sys.exit(1)
if mode == 'exit':
    sys.exit(0)
def stopped(*_):
    open(f'{sd}/stopped', 'w').write('SIGTERM')
    sys.exit(0)
signal.signal(signal.SIGTERM, stopped)
while True:
    time.sleep(1)
`;

interface Probe { uid: number; gid: number; cwd: string; argv: string[]; env: Record<string, string>; stateDirOwner: number; stateDirMode: string }

describeWithPeers(['BOOT_ROOTFS', 'NODE22_HOST_BIN'], 'boot proof shims (dnf, systemctl) in the stand-in instance root', () => {
  let instance: BootInstance | undefined;
  const inst = () => instance!;

  beforeAll(async () => {
    instance = await BootInstance.start({ nodeDir: NODE_DIR });
    fs.mkdirSync(inst().file('/opt/probe'), { recursive: true });
    fs.writeFileSync(inst().file('/opt/probe/probe.py'), PROBE);
    const r = await inst().sh('useradd --system --no-create-home --shell /sbin/nologin probe');
    expect(r.stderr).toBe('');
  }, 60_000);

  afterAll(async () => {
    await instance?.stop();
  }, 60_000);

  /** Writes a unit (Restart=on-failure, RestartSec=100ms unless given) and its environment file. */
  function unit(name: string, service: string[], unitSection: string[] = []): void {
    fs.writeFileSync(inst().file(`/etc/systemd/system/${name}.service`), [
      '[Unit]', `Description=probe ${name}`, ...unitSection, '',
      '[Service]', 'User=probe', `StateDirectory=${name}`, 'Restart=on-failure', 'RestartSec=100ms', ...service, '',
      '[Install]', 'WantedBy=multi-user.target', '',
    ].join('\n'));
  }
  const starts = (name: string) => fs.readdirSync(inst().file(`/var/lib/${name}`)).filter((f) => f.startsWith('start-')).length;
  const report = (name: string, n: number) => JSON.parse(fs.readFileSync(inst().file(`/var/lib/${name}/start-${n}.json`), 'utf8')) as Probe;
  const state = (name: string) => JSON.parse(fs.readFileSync(inst().file(`/run/systemd-shim/${name}.service.json`), 'utf8')) as Record<string, unknown>;
  const settled = (name: string, active: string) => waitUntil(`${name} ${active}`, () => (state(name).ActiveState === active ? true : undefined), 30_000);

  test('dnf installs nodejs22 as AL2023 does (/usr/bin/node-22) and finds unzip already installed', async () => {
    const r = await inst().sh('dnf install -y nodejs22 unzip && node-22 --version && command -v node-22');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Installed: nodejs22 \(v22\./);
    expect(r.stdout).toContain('Package unzip is already installed.');
    expect(r.stdout.trim().split('\n').slice(-2)).toEqual([expect.stringMatching(/^v22\./), '/usr/bin/node-22']);
  });

  test('dnf fails on a package it does not know and installs nothing of that transaction', async () => {
    await inst().sh('rm -f /usr/bin/node-22');
    const r = await inst().sh('dnf install -y nodejs22 ImageMagick');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('No match for argument: ImageMagick');
    expect(fs.existsSync(inst().file('/usr/bin/node-22'))).toBe(false);
    expect((await inst().sh('dnf upgrade -y')).code).toBe(1);
  });

  test('systemctl enable --now runs ExecStart as User= with EnvironmentFile= (systemd quoting), DefaultEnvironment= and StateDirectory=', async () => {
    const values = { PLAIN: 'uploads/', SPACES: 'two  words', QUOTES: 'say "hi" \\ back\\slash', DOLLAR: '$HOME stays', MODE: 'wait' };
    fs.mkdirSync(inst().file('/etc/probe'), { recursive: true });
    fs.writeFileSync(inst().file('/etc/probe/env'), Object.entries(values).map(([k, v]) => `${k}=${quoteEnvValue(v)}`).join('\n') + '\n');
    fs.writeFileSync(inst().file('/etc/systemd/system.conf'), '[Manager]\nDefaultEnvironment="FROM_MANAGER=yes" OTHER=1\n');
    unit('env-probe', ['EnvironmentFile=/etc/probe/env', 'Environment=PLAIN=overridden-by-the-file', 'ExecStart=/usr/bin/python3 /opt/probe/probe.py ${MODE} 0']);
    const r = await inst().sh('systemctl daemon-reload && systemctl enable --now env-probe.service && systemctl is-active env-probe');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(fs.readlinkSync(inst().file('/etc/systemd/system/multi-user.target.wants/env-probe.service'))).toBe('/etc/systemd/system/env-probe.service');
    await waitUntil('the probe started', () => (starts('env-probe') === 1 ? true : undefined), 30_000);
    const p = report('env-probe', 1);
    const uid = Number((await inst().sh('id -u probe')).stdout.trim());
    expect(uid).toBeGreaterThan(0);
    expect({ uid: p.uid, owner: p.stateDirOwner, mode: p.stateDirMode, cwd: p.cwd, argv: p.argv })
      .toEqual({ uid, owner: uid, mode: '0o755', cwd: '/', argv: ['/opt/probe/probe.py', 'wait', '0'] });
    expect(p.env).toMatchObject({ ...values, STATE_DIRECTORY: '/var/lib/env-probe', FROM_MANAGER: 'yes', OTHER: '1', USER: 'probe', HOME: expect.any(String) });
  });

  test('systemctl stop sends KillSignal= to the service and does not restart it', async () => {
    const r = await inst().sh('systemctl stop env-probe.service; systemctl is-active env-probe');
    expect(r.stdout.trim()).toBe('inactive');
    expect(r.code).toBe(3);
    expect(fs.readFileSync(inst().file('/var/lib/env-probe/stopped'), 'utf8')).toBe('SIGTERM');
    expect(starts('env-probe')).toBe(1);
  });

  test('Restart=on-failure restarts after RestartSec= until the service exits 0, then leaves it stopped', async () => {
    unit('restart-probe', ['ExecStart=/usr/bin/python3 /opt/probe/probe.py exit 2']);
    expect((await inst().sh('systemctl start restart-probe')).code).toBe(0);
    await settled('restart-probe', 'inactive');
    expect({ starts: starts('restart-probe'), ...pick(state('restart-probe'), 'NRestarts', 'ExecMainStatus', 'Result') })
      .toEqual({ starts: 3, NRestarts: 2, ExecMainStatus: 0, Result: 'success' });
    expect(fs.readFileSync(inst().file('/var/log/journal-shim/restart-probe.service.log'), 'utf8')).toContain('Scheduled restart job, restart counter is at 2.');
  });

  test('the default start limit (5 starts in 10 s) stops restarting; StartLimitIntervalSec=0 (the worker unit) keeps going', async () => {
    unit('limited-probe', ['ExecStart=/usr/bin/python3 /opt/probe/probe.py exit 100']);
    unit('unlimited-probe', ['ExecStart=/usr/bin/python3 /opt/probe/probe.py wait 7'], ['StartLimitIntervalSec=0']);
    expect((await inst().sh('systemctl start limited-probe unlimited-probe')).code).toBe(0);
    await settled('limited-probe', 'failed');
    expect({ starts: starts('limited-probe'), Result: state('limited-probe').Result }).toEqual({ starts: 5, Result: 'start-limit-hit' });
    await waitUntil('the 8th start', () => (starts('unlimited-probe') === 8 ? true : undefined), 60_000);
    await settled('unlimited-probe', 'active');
    expect(state('unlimited-probe').NRestarts).toBe(7);
    await inst().sh('systemctl stop unlimited-probe');
  });

  test('a unit using a directive the shim does not model fails daemon-reload and start, naming it', async () => {
    unit('unknown-probe', ['ExecStartPre=/bin/true', 'ExecStart=/usr/bin/python3 /opt/probe/probe.py exit 0']);
    const reload = await inst().sh('systemctl daemon-reload');
    expect(reload.code).toBe(1);
    expect(reload.stderr).toContain('[Service] ExecStartPre= is not modelled by the shim');
    const start = await inst().sh('systemctl start unknown-probe');
    expect(start.code).toBe(1);
    expect(start.stderr).toContain('ExecStartPre=');
    fs.rmSync(inst().file('/etc/systemd/system/unknown-probe.service'));
  });

  test('an unknown User= fails the start instead of running the service as root', async () => {
    unit('nouser-probe', ['ExecStart=/usr/bin/python3 /opt/probe/probe.py exit 0']);
    const file = inst().file('/etc/systemd/system/nouser-probe.service');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('User=probe', 'User=nobody-here'));
    const start = await inst().sh('systemctl start nouser-probe');
    expect(start.code).toBe(1);
    expect(start.stderr).toContain('User=nobody-here: no such user');
    fs.rmSync(file);
  });
});

function pick(o: Record<string, unknown>, ...keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, o[k]]));
}
