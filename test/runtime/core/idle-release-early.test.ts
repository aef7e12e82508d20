/**
 * The early idle leave's rule (core/arrival-spacing.ts) and how core/idle-release.ts applies it,
 * driven by `check(now)` with explicit times. The group and the queue are recording stand-ins: what
 * is checked here is which idle time the rule asks for, not the AWS calls (the moto suite
 * idle-release-early.moto.test.ts runs the real calls).
 */
import { ArrivalSpacing } from '../../../worker-runtime/src/core/arrival-spacing';
import { EARLY_ATTEMPTS, IdleRelease } from '../../../worker-runtime/src/core/idle-release';
import { drainEndsByLeaving } from '../../../worker-runtime/src/core/leave-after-drain';
import { createJsonLogger } from '../../../worker-runtime/src/core/logger';
import { WorkerEmitter } from '../../../worker-runtime/src/core/worker-events';

describe('ArrivalSpacing', () => {
  test('fewer than two sends (none: launched for work already done; one: after a quiet spell): no gap to measure, so sparse', () => {
    const s = new ArrivalSpacing();
    expect(s.isSparserThan(90_000)).toBe(true);
    s.record(1_000);
    expect(s.meanGapMs).toBeUndefined();
    expect(s.isSparserThan(90_000)).toBe(true);
  });

  test('mean gap = span between oldest and newest send over the gaps between them, whatever the order received', () => {
    const s = new ArrivalSpacing();
    for (const t of [50_000, 0, 200_000, 100_000]) s.record(t);
    expect(s.messages).toBe(4);
    expect(s.meanGapMs).toBeCloseTo(200_000 / 3);
    expect(s.isSparserThan(60_000)).toBe(true);
    expect(s.isSparserThan(90_000)).toBe(false);
  });

  test('a non-finite send time is ignored', () => {
    const s = new ArrivalSpacing();
    s.record(Number.NaN);
    s.record(10);
    expect(s.messages).toBe(1);
  });
});

describe('IdleRelease: which idle time applies', () => {
  function harness(opts: { early?: number; depth?: () => { visible: number; notVisible: number }; refuse?: boolean } = {}) {
    const leaves: boolean[] = [];
    const lines: Array<Record<string, unknown>> = [];
    let idle = true;
    const logger = createJsonLogger({ level: 'debug', write: (l: string) => { lines.push(JSON.parse(l)); } });
    const rel = new IdleRelease({
      idleSeconds: 90,
      earlySeconds: opts.early,
      instance: { leaveGroup: async (d: boolean) => { if (opts.refuse) throw new Error('at minimum'); leaves.push(d); } } as any,
      queue: { approximateDepth: async () => (opts.depth ?? (() => ({ visible: 0, notVisible: 0 })))() },
      isIdle: () => idle,
      logger,
      checkEveryMs: 3_600_000,
    });
    const worker = new WorkerEmitter();
    rel.attach(worker);
    return { rel, worker, leaves, lines, setIdle: (v: boolean) => { idle = v; } };
  }

  const held = (w: WorkerEmitter, sentAt: number, receiveCount = 1): void => {
    w.emit('message_held', { messageId: `m${sentAt}-${receiveCount}`, receiveCount, inFlight: 1, sentAt });
  };

  test.each([
    ['one message seen (after a quiet spell)', 1],
    ['no message taken (the queue was empty when the worker started)', 0],
  ])('%s: leaves after the early time, rule sparse-arrivals', async (_what, messages) => {
    const h = harness({ early: 5 });
    h.worker.emit('started', { concurrency: 2, prefetch: 0, visibilityTimeout: 30, handler: 'x' });
    if (messages === 1) held(h.worker, Date.now() - 40_000);
    const t0 = Date.now();
    await h.rel.check(t0 + 4_000);
    expect(h.leaves).toEqual([]);
    await h.rel.check(t0 + 6_000);
    expect(h.leaves).toEqual([true]);
    expect(h.lines.find((l) => l.msg?.toString().startsWith('idle release: left'))).toMatchObject({ rule: 'sparse-arrivals', messages });
    h.rel.stop();
  });

  test("a leave is told to the worker's listeners (left_group), so a later rebalance drain does not leave a second time", async () => {
    const h = harness({ early: 5 });
    const told: unknown[] = [];
    h.worker.on('left_group', (e) => told.push(e));
    h.worker.emit('started', { concurrency: 2, prefetch: 0, visibilityTimeout: 30, handler: 'x' });
    await h.rel.check(Date.now() + 6_000);
    expect(told).toEqual([{ rule: 'sparse-arrivals', idleSeconds: 6 }]);
    expect(drainEndsByLeaving(['rebalance-recommendation'])).toBe(true);
    expect(drainEndsByLeaving(['rebalance-recommendation'], true)).toBe(false);
    expect(drainEndsByLeaving(['rebalance-recommendation', 'lifecycle-terminating'])).toBe(false);
    expect(drainEndsByLeaving(['sigterm', 'rebalance-recommendation'])).toBe(false);
    h.rel.stop();
  });

  test('messages sent closer together than the idle period: only the full period applies', async () => {
    const h = harness({ early: 5 });
    h.worker.emit('started', { concurrency: 2, prefetch: 0, visibilityTimeout: 30, handler: 'x' });
    const base = Date.now() - 60_000;
    held(h.worker, base);
    held(h.worker, base + 10_000);
    const t0 = Date.now();
    await h.rel.check(t0 + 30_000);
    expect(h.leaves).toEqual([]);
    await h.rel.check(t0 + 91_000);
    expect(h.leaves).toEqual([true]);
    expect(h.lines.find((l) => l.msg?.toString().startsWith('idle release: left'))).toMatchObject({ rule: 'idle-period', messages: 2, meanArrivalGapSeconds: 10 });
    h.rel.stop();
  });

  test('redeliveries are not new arrivals: an old message received again does not make the traffic look dense', async () => {
    const h = harness({ early: 5 });
    h.worker.emit('started', { concurrency: 2, prefetch: 0, visibilityTimeout: 30, handler: 'x' });
    const sent = Date.now() - 30_000;
    held(h.worker, sent);
    held(h.worker, sent, 2);
    const t0 = Date.now();
    await h.rel.check(t0 + 6_000);
    expect(h.leaves).toEqual([true]);
    h.rel.stop();
  });

  test('without earlySeconds the full period always applies', async () => {
    const h = harness();
    h.worker.emit('started', { concurrency: 2, prefetch: 0, visibilityTimeout: 30, handler: 'x' });
    held(h.worker, Date.now() - 40_000);
    const t0 = Date.now();
    await h.rel.check(t0 + 60_000);
    expect(h.leaves).toEqual([]);
    await h.rel.check(t0 + 91_000);
    expect(h.leaves).toEqual([true]);
    h.rel.stop();
  });

  test(`a queue that stays non-empty: ${EARLY_ATTEMPTS} early depth reads, then only the full period`, async () => {
    let reads = 0;
    const h = harness({ early: 5, depth: () => { reads += 1; return { visible: 0, notVisible: 1 }; } });
    h.worker.emit('started', { concurrency: 2, prefetch: 0, visibilityTimeout: 30, handler: 'x' });
    held(h.worker, Date.now() - 40_000);
    // Each check happens 6 s after the previous attempt reset the idle clock (Date.now() in the finally).
    for (let i = 0; i < EARLY_ATTEMPTS + 3; i++) await h.rel.check(Date.now() + 6_000);
    expect(reads).toBe(EARLY_ATTEMPTS);
    expect(h.leaves).toEqual([]);
    h.rel.stop();
  });

  test('a refused leave: no early retry, the next ask waits the full period', async () => {
    let asks = 0;
    const h = harness({ early: 5, refuse: true, depth: () => { asks += 1; return { visible: 0, notVisible: 0 }; } });
    h.worker.emit('started', { concurrency: 2, prefetch: 0, visibilityTimeout: 30, handler: 'x' });
    held(h.worker, Date.now() - 40_000);
    await h.rel.check(Date.now() + 6_000);
    expect(asks).toBe(1);
    await h.rel.check(Date.now() + 6_000);
    await h.rel.check(Date.now() + 30_000);
    expect(asks).toBe(1);
    await h.rel.check(Date.now() + 91_000);
    expect(asks).toBe(2);
    h.rel.stop();
  });
});
