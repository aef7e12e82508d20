/**
 * End to end: the `spot-worker run` process against moto (bucket → notifications → queue,
 * DLQ, Auto Scaling group) and amazon-ec2-metadata-mock. When the mock starts announcing a
 * Spot interruption or a rebalance recommendation, the worker stops receiving, finishes the
 * jobs that fit before the deadline, releases the rest (received again at once by another
 * consumer), clears its scale-in protection and exits 0; nothing is lost.
 */
import { ChildProcess, spawn } from 'child_process';
import * as path from 'path';
import { expectDrainedWithNothingLost, FAST_KEYS, LATE_KEY, LogLine, SLOW_KEYS, uploadBatch, workerEnv } from './drain-scenario';
import { createMotoFleet, MotoFleet } from './moto-fleet';
import { waitUntil } from './support';
import { describeWithPeers, freePort, RunningPeer, startMetadataMock, startMoto } from '../../support/peers';

const ROOT = path.join(__dirname, '..', '..', '..');
const ENTRY = path.join(__dirname, 'spot-worker-entry.ts');

class WorkerProcess {
  readonly logs: LogLine[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;
  private stderr = '';
  private partial = '';

  constructor(env: Record<string, string>) {
    this.child = spawn(process.execPath, ['--import', 'tsx', ENTRY, 'run'], {
      cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (d: Buffer) => {
      const lines = (this.partial + d.toString()).split('\n');
      this.partial = lines.pop()!;
      for (const l of lines) if (l.trim()) this.logs.push(JSON.parse(l) as LogLine);
    });
    this.child.stderr!.on('data', (d: Buffer) => { this.stderr = (this.stderr + d.toString()).slice(-4000); });
    this.exited = new Promise((r) => this.child.once('exit', (code, signal) => r({ code, signal })));
  }

  get errors(): string { return this.stderr; }

  log(msg: string): LogLine | undefined { return this.logs.find((l) => l.msg === msg); }

  async kill(): Promise<void> {
    if (this.child.exitCode === null && !this.child.signalCode) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}

describeWithPeers(['AEMM_BIN', 'MOTO_SERVER_BIN'], 'spot-worker run drains on interruption notices (moto + metadata mock)', () => {
  let moto: RunningPeer | undefined;
  let mock: RunningPeer | undefined;
  let fleet: MotoFleet | undefined;
  let worker: WorkerProcess | undefined;

  afterEach(async () => {
    await worker?.kill();
    await mock?.stop();
    fleet?.destroy();
    await moto?.stop();
    worker = undefined; mock = undefined; fleet = undefined; moto = undefined;
  });

  /**
   * Runs one scenario: four jobs in flight (two that fit, two that cannot), then the mock is
   * started with `aemmArgs`, so the notice appears while the worker is busy.
   */
  async function drainScenario(aemmArgs: (now: Date) => string[], extraEnv: Record<string, string>) {
    moto = await startMoto();
    fleet = await createMotoFleet(moto.endpoint);
    const imdsPort = await freePort();
    worker = new WorkerProcess(workerEnv(fleet, moto.endpoint, `http://127.0.0.1:${imdsPort}`, extraEnv));
    const w = worker;
    const f = fleet;
    await waitUntil('worker started', () => w.log('worker started') ?? (w.logs.length === 0 && w.errors ? (() => { throw new Error(w.errors); })() : undefined), 30_000);

    await uploadBatch(f, [...FAST_KEYS, ...SLOW_KEYS]);
    await waitUntil('all four jobs in flight', async () => ((await f.counts(f.queueUrl)).inFlight === 4 ? true : undefined));
    await waitUntil('scale-in protection on', async () => ((await f.protectedFromScaleIn()) ? true : undefined));
    // The fast jobs have just started; none may be done before the notice arrives.
    expect(w.logs.filter((l) => l.msg === 'object processed')).toHaveLength(0);

    mock = await startMetadataMock(aemmArgs(new Date()), imdsPort);
    const draining = await waitUntil('draining', () => w.log('draining'), 10_000);
    // Received after the notice: must stay in the queue for another instance.
    await uploadBatch(f, [LATE_KEY]);

    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([
      w.exited,
      new Promise<never>((_, rej) => { timer = setTimeout(() => rej(new Error(`worker did not exit within 60 s: ${w.errors}`)), 60_000); }),
    ]).finally(() => clearTimeout(timer));
    return { exit, draining, logs: w.logs, fleet: f };
  }

  test('Spot interruption notice: drains before the notice time and exits 0', async () => {
    let noticeTime = 0;
    const { exit, draining, logs, fleet: f } = await drainScenario((now) => {
      // Interruption 20 s from now (whole seconds, as EC2 writes it).
      noticeTime = Math.floor(now.getTime() / 1000) * 1000 + 20_000;
      return ['spot', '-a', 'terminate', '-d', '0', '-t', new Date(noticeTime).toISOString().replace('.000Z', 'Z'), '--rebalance-delay-sec', '3600'];
    }, {});
    expect(exit).toEqual({ code: 0, signal: null });
    expect(draining).toMatchObject({ kind: 'spot-interruption', deadline: new Date(noticeTime).toISOString() });
    // Unfinished jobs were given back before the instance would go away.
    const released = logs.find((l) => l.msg === 'drain deadline reached; releasing unfinished jobs');
    expect(released).toMatchObject({ count: 2 });
    expect(Date.parse(released!.time)).toBeLessThan(noticeTime);
    expect(Date.parse(logs.find((l) => l.msg === 'stopped')!.time)).toBeLessThan(noticeTime);
    await expectDrainedWithNothingLost(f, logs, draining);
  });

  test('rebalance recommendation: drains within the drain timeout and exits 0', async () => {
    const drainTimeout = 15;
    const { exit, draining, logs, fleet: f } = await drainScenario(
      () => ['spot', '-d', '3600', '--rebalance-delay-sec', '0'],
      { SPOT_WORKER_DRAIN_TIMEOUT_SECONDS: String(drainTimeout) },
    );
    expect(exit).toEqual({ code: 0, signal: null });
    expect(draining).toMatchObject({ kind: 'rebalance-recommendation' });
    const deadline = Date.parse(draining.deadline as string);
    expect(deadline - Date.parse(draining.time)).toBeLessThanOrEqual(drainTimeout * 1000 + 1000);
    const released = logs.find((l) => l.msg === 'drain deadline reached; releasing unfinished jobs');
    expect(released).toMatchObject({ count: 2 });
    expect(Date.parse(released!.time)).toBeLessThan(deadline);
    await expectDrainedWithNothingLost(f, logs, draining);
  });
});
