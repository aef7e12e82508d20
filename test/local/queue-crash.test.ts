/**
 * Crash safety with real processes: a consumer SIGKILLed while it holds messages loses none
 * (they reappear after the visibility timeout), and consumers running at once never get the
 * same message twice while it is in flight.
 */
import { fork } from 'child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { FileQueue } from '../../worker-runtime/src/adapters/local/file-queue';
import { seededRandom } from '../../worker-runtime/src/util/seeded-random';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TSX = ['--import', 'tsx'];

describe('FileQueue crash safety across processes', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(path.join(tmpdir(), 'queue-crash-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('a holder SIGKILLed mid-work loses nothing: its messages reappear after the visibility timeout', async () => {
    const queue = await new FileQueue({ dir, visibilityTimeoutSeconds: 2 }).init();
    const sent = [];
    for (let i = 0; i < 5; i++) sent.push(await queue.send(`job ${i}`));

    const child = fork(path.join(__dirname, 'support', 'receive-and-hold.ts'), [dir, '2', '3'], { execArgv: TSX, stdio: 'ignore' });
    const received = await new Promise<Array<{ messageId: string; receiveCount: number }>>((resolve, reject) => {
      child.once('message', (m: { received: Array<{ messageId: string; receiveCount: number }> }) => resolve(m.received));
      child.once('exit', () => reject(new Error('holder exited before receiving')));
    });
    expect(received).toHaveLength(3);
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;

    // While the dead holder's visibility runs, only the two others are visible.
    expect(await queue.stats()).toEqual({ visible: 2, inFlight: 3 });
    await sleep(2200);
    expect(await queue.stats()).toEqual({ visible: 5, inFlight: 0 });
    const all = await queue.receive({ maxMessages: 10, waitTimeSeconds: 0 });
    expect(all.map((m) => m.messageId).sort()).toEqual([...sent].sort());
    const heldIds = new Set(received.map((m) => m.messageId));
    for (const m of all) expect(m.receiveCount).toBe(heldIds.has(m.messageId) ? 2 : 1);
    // No temp files or stray names left behind.
    expect(readdirSync(path.join(dir, 'tmp'))).toEqual([]);
  });

  test('three consumer processes at once: every message delivered to exactly one of them', async () => {
    const queue = await new FileQueue({ dir }).init();
    const sent = new Set<string>();
    for (let i = 0; i < 60; i++) sent.add(await queue.send(`m${i}`));
    const runs = [0, 1, 2].map(() => new Promise<string[]>((resolve, reject) => {
      const child = fork(path.join(__dirname, 'support', 'receive-all.ts'), [dir], { execArgv: TSX, stdio: 'ignore' });
      let ids: string[] | undefined;
      child.on('message', (m: { ids: string[] }) => { ids = m.ids; });
      child.on('exit', (code) => (code === 0 && ids ? resolve(ids) : reject(new Error(`consumer exited ${code}`))));
    }));
    const results = await Promise.all(runs);
    const all = results.flat();
    expect(all).toHaveLength(60);
    expect(new Set(all)).toEqual(sent);
    expect(await queue.stats()).toEqual({ visible: 0, inFlight: 0 });
  });

  test('consumers SIGKILLed at random moments (seeded): every message is processed or still queued, none lost', async () => {
    const queue = await new FileQueue({ dir, visibilityTimeoutSeconds: 1 }).init();
    const sent = new Set<string>();
    for (let i = 0; i < 120; i++) sent.add(await queue.send(`m${i}`));
    const log = path.join(dir, 'processed.log');
    const random = seededRandom(2024);
    const start = (parkAfter?: string): ReturnType<typeof fork> => fork(path.join(__dirname, 'support', 'consume-and-log.ts'), [dir, log, '1', ...(parkAfter ? [parkAfter] : [])], { execArgv: TSX, stdio: 'ignore' });

    for (let round = 0; round < 6; round++) {
      // After 1–4 finished batches, kill 0–15 ms later: somewhere inside the next receive,
      // visibility change, output write or delete. The child parks one batch later, so a kill
      // that a loaded machine delivers late still finds it running.
      const batches = 1 + Math.floor(random() * 4);
      const delay = Math.floor(random() * 16);
      const child = start(String(batches + 1));
      const exited = new Promise((r) => child.once('exit', r));
      let seen = 0;
      child.on('message', () => {
        seen += 1;
        if (seen === batches) setTimeout(() => child.kill('SIGKILL'), delay);
      });
      const code = await exited;
      expect(code).toBeNull(); // killed, not finished
    }
    const processedBefore = existsSync(log) ? new Set(readFileSync(log, 'utf8').split('\n').filter(Boolean)) : new Set<string>();
    expect(processedBefore.size).toBeGreaterThan(0);
    expect(processedBefore.size).toBeLessThan(sent.size);
    // Whatever the kills interrupted is either processed or still in the queue.
    const queued = new Set((await queue.list()).map((m) => m.messageId));
    for (const id of sent) expect(processedBefore.has(id) || queued.has(id)).toBe(true);

    // A last consumer that is left alone finishes the rest.
    const last = start();
    const code = await new Promise((r) => last.once('exit', r));
    expect(code).toBe(0);
    const processed = new Set(readFileSync(log, 'utf8').split('\n').filter(Boolean));
    expect(processed).toEqual(sent);
    expect(await queue.stats()).toEqual({ visible: 0, inFlight: 0 });
  });
});
