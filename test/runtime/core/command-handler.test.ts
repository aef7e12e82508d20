import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PermanentError, TransientError } from '../../../worker-runtime/src/core/errors';
import { createCommandHandler } from '../../../worker-runtime/src/handlers/command-handler';

const input = (key: string, body = 'hello') => ({ key, bucket: 'bkt', body: Buffer.from(body) });
const ctx = () => ({ signal: new AbortController().signal });

async function failure(p: Promise<unknown>): Promise<Error> {
  try { await p; } catch (e) { return e as Error; }
  throw new Error('expected the handler to fail');
}

describe('command handler', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmd-handler-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('exit 0: the output file is returned with the configured extension and content type; paths come in env vars', async () => {
    const h = createCommandHandler({
      command: 'tr a-z A-Z < "$SPOT_WORKER_INPUT_FILE" > "$SPOT_WORKER_OUTPUT_FILE"; printf "%s|%s|%s" "$SPOT_WORKER_SOURCE_KEY" "$SPOT_WORKER_SOURCE_BUCKET" "$(basename "$SPOT_WORKER_INPUT_FILE")" >> "$SPOT_WORKER_OUTPUT_FILE"',
      outputExtension: '.txt',
      contentType: 'text/plain',
      tempDir: dir,
    });
    const out = await h.handle(input('uploads/My Photos/a b.JPG'), ctx());
    expect(Buffer.from(out.body).toString()).toBe('HELLOuploads/My Photos/a b.JPG|bkt|input.JPG');
    expect(out).toMatchObject({ extension: '.txt', contentType: 'text/plain' });
    expect(fs.readdirSync(dir)).toEqual([]); // temporary folder removed
  });

  test('keys cannot inject shell syntax', async () => {
    const pwned = path.join(dir, 'pwned');
    const h = createCommandHandler({ command: 'cp "$SPOT_WORKER_INPUT_FILE" "$SPOT_WORKER_OUTPUT_FILE"', tempDir: dir });
    await h.handle(input(`uploads/$(touch ${pwned}); \`touch ${pwned}\`.jpg`), ctx());
    expect(fs.existsSync(pwned)).toBe(false);
  });

  test('exit 65 is permanent, with the end of stderr as the reason', async () => {
    const h = createCommandHandler({ command: 'echo "noise" >&2; echo "not a valid drawing" >&2; exit 65', tempDir: dir });
    const err = await failure(h.handle(input('uploads/x.dwg'), ctx()));
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as PermanentError).kind).toBe('command-rejected');
    expect(err.message).toContain('not a valid drawing');
  });

  test('other exit codes, a missing output and a timeout are transient', async () => {
    const e1 = await failure(createCommandHandler({ command: 'exit 3', tempDir: dir }).handle(input('uploads/a'), ctx()));
    expect(e1).toBeInstanceOf(TransientError);
    expect(e1.message).toContain('exit 3');
    const e2 = await failure(createCommandHandler({ command: 'true', tempDir: dir }).handle(input('uploads/a'), ctx()));
    expect(e2).toBeInstanceOf(TransientError);
    expect((e2 as TransientError).kind).toBe('command-no-output');
    const e3 = await failure(createCommandHandler({ command: 'sleep 30', timeoutSeconds: 1, tempDir: dir }).handle(input('uploads/a'), ctx()));
    expect(e3).toBeInstanceOf(TransientError);
    expect(e3.message).toContain('timed out');
  });

  test('an abort stops the whole process group promptly', async () => {
    const marker = path.join(dir, 'child-survived');
    const h = createCommandHandler({ command: `(sleep 2; touch '${marker}') & sleep 30`, tempDir: dir, killGraceSeconds: 1 });
    const ac = new AbortController();
    const started = Date.now();
    setTimeout(() => ac.abort(new Error('drain deadline')), 300);
    const err = await failure(h.handle(input('uploads/a'), { signal: ac.signal }));
    expect(err).toBeInstanceOf(TransientError);
    expect(err.message).toContain('aborted');
    expect(Date.now() - started).toBeLessThan(5000);
    await new Promise((r) => setTimeout(r, 2500));
    expect(fs.existsSync(marker)).toBe(false);
  });
});
