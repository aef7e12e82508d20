/**
 * The local "Auto Scaling group": worker PROCESSES (child_process.fork) running the same run
 * loop as on EC2 through the local adapters. Like the ASG it launches to a desired count,
 * replaces workers that die, terminates only unprotected workers on scale-in (with a lifecycle
 * `Terminating` notice they drain on), and delivers injected Spot interruption notices.
 */
import { ChildProcess, fork } from 'child_process';
import { EventEmitter } from 'events';
import * as fs from 'fs';
import * as path from 'path';
import type { InterruptMessage, WorkerEvent } from '../adapters/local/ipc-messages';
import { sleep } from '../util/sleep';

export type WorkerState = 'in-service' | 'terminating' | 'exited';
/** `idle-release`: the worker left with a decrement (not replaced); `left-group`: it left without one (replaced). */
export type TerminationCause = 'spot-interruption' | 'scale-in' | 'idle-release' | 'left-group' | 'shutdown' | 'killed';

export interface FleetWorker {
  readonly id: number;
  readonly child: ChildProcess;
  readonly startedAt: number;
  endedAt?: number;
  state: WorkerState;
  /** Scale-in protection, as the worker set it (busy workers protect themselves). */
  protected: boolean;
  cause?: TerminationCause;
  exitCode?: number | null;
  signal?: NodeJS.Signals | null;
  /** The worker reported a finished drain (completed its lifecycle action or said so). */
  drained: boolean;
}

/** How to start a worker process. */
export interface WorkerEntry {
  readonly modulePath: string;
  readonly args: readonly string[];
  readonly execArgv: readonly string[];
}

/**
 * The worker entry next to this module: compiled JS in `lib/`, or the TypeScript source run
 * through tsx (tests, `ts-node`-style runs).
 */
export function defaultWorkerEntry(): WorkerEntry {
  const js = path.join(__dirname, 'worker-process.js');
  if (fs.existsSync(js)) return { modulePath: js, args: [], execArgv: [] };
  const ts = path.join(__dirname, 'worker-process.ts');
  if (fs.existsSync(ts)) return { modulePath: ts, args: [], execArgv: ['--import', 'tsx'] };
  // A single-file bundle: the CLI itself, in its hidden worker mode.
  return { modulePath: process.argv[1], args: ['local', '--worker-process'], execArgv: [] };
}

export interface FleetOptions {
  readonly entry: WorkerEntry;
  /** Environment of every worker (its configuration). */
  readonly env: NodeJS.ProcessEnv;
  /** Folder for each worker's log file. */
  readonly logDir: string;
}

export interface FleetEvents {
  event: [FleetWorker, WorkerEvent];
  exit: [FleetWorker];
}

export class LocalFleet extends EventEmitter<FleetEvents> {
  readonly workers: FleetWorker[] = [];
  private nextId = 1;

  constructor(private readonly options: FleetOptions) {
    super();
    fs.mkdirSync(options.logDir, { recursive: true });
  }

  /** Launched and not terminating: what the scaling policy counts. */
  inService(): FleetWorker[] {
    return this.workers.filter((w) => w.state === 'in-service');
  }

  /** Every process still running, terminating ones included. */
  live(): FleetWorker[] {
    return this.workers.filter((w) => w.state !== 'exited');
  }

  launch(): FleetWorker {
    const id = this.nextId++;
    const { entry } = this.options;
    const log = fs.openSync(path.join(this.options.logDir, `worker-${id}.log`), 'a');
    const child = fork(entry.modulePath, [...entry.args], {
      env: { ...this.options.env, SPOT_WORKER_LOCAL_WORKER_ID: String(id) },
      execArgv: [...entry.execArgv],
      stdio: ['ignore', log, log, 'ipc'],
      serialization: 'json',
    });
    fs.closeSync(log);
    const worker: FleetWorker = { id, child, startedAt: Date.now(), state: 'in-service', protected: false, drained: false };
    this.workers.push(worker);
    child.on('message', (m: WorkerEvent) => {
      if (m?.type === 'protection') worker.protected = m.protect;
      if (m?.type === 'lifecycle-complete' || m?.type === 'drained') worker.drained = true;
      this.emit('event', worker, m);
    });
    child.on('error', () => { /* reported through 'exit' */ });
    child.on('exit', (code, signal) => {
      worker.state = 'exited';
      worker.endedAt = Date.now();
      worker.exitCode = code;
      worker.signal = signal;
      if (!worker.cause) worker.cause = 'killed';
      this.emit('exit', worker);
    });
    return worker;
  }

  /** A Spot interruption notice: the worker drains before `deadline` and exits. */
  interrupt(worker: FleetWorker, deadline: number): void {
    this.notify(worker, { type: 'interrupt', kind: 'spot-interruption', deadline }, 'spot-interruption');
  }

  /**
   * Scale-in: terminates up to `count` in-service workers that are not protected, newest first
   * (the ASG's default policy picks by AZ balance, then oldest launch template; locally all are
   * alike). Returns how many were asked to terminate.
   */
  scaleIn(count: number, deadline: number): number {
    const candidates = this.inService().filter((w) => !w.protected).reverse().slice(0, count);
    for (const w of candidates) {
      this.notify(w, { type: 'interrupt', kind: 'lifecycle-terminating', deadline }, 'scale-in');
    }
    return candidates.length;
  }

  /**
   * TerminateInstanceInAutoScalingGroup from the worker itself (IPC `leave`): the group terminates it
   * as on scale-in (a lifecycle `Terminating` notice it drains on), protected or not. With a
   * decrement the caller lowers the desired count, so the worker is not replaced.
   */
  leave(worker: FleetWorker, decrementDesiredCapacity: boolean, deadline: number): void {
    this.notify(worker, { type: 'interrupt', kind: 'lifecycle-terminating', deadline }, decrementDesiredCapacity ? 'idle-release' : 'left-group');
  }

  /** SIGKILL, as a hardware failure or an abrupt termination would. */
  kill(worker: FleetWorker): void {
    if (worker.state === 'exited') return;
    worker.cause = 'killed';
    worker.child.kill('SIGKILL');
  }

  /** Asks every worker to drain (SIGTERM, as systemd does), then SIGKILLs whatever is left. */
  async shutdown(graceMs: number): Promise<void> {
    for (const w of this.live()) {
      if (!w.cause) w.cause = 'shutdown';
      w.state = w.state === 'exited' ? w.state : 'terminating';
      w.child.kill('SIGTERM');
    }
    const deadline = Date.now() + graceMs;
    while (this.live().length > 0 && Date.now() < deadline) await sleep(50);
    for (const w of this.live()) w.child.kill('SIGKILL');
    while (this.live().length > 0) await sleep(20);
  }

  private notify(worker: FleetWorker, message: InterruptMessage, cause: TerminationCause): void {
    if (worker.state !== 'in-service') return;
    worker.state = 'terminating';
    worker.cause = cause;
    try {
      worker.child.send(message);
    } catch {
      // The process is already gone; its exit is reported anyway.
    }
  }
}
