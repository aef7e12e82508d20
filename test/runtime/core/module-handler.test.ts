import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ConfigError, isPermanent, PermanentError } from '../../../worker-runtime/src/core/errors';
import { loadModuleHandler } from '../../../worker-runtime/src/handlers/module-handler';

describe('module handler', () => {
  let dir: string;
  beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mod-handler-')); });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  function mod(name: string, source: string): string {
    const p = path.join(dir, name);
    fs.writeFileSync(p, source);
    return p;
  }
  const ctx = { signal: new AbortController().signal };
  const input = { key: 'uploads/a.txt', bucket: 'b', body: Buffer.from('abc') };

  test.each([
    ['`handler` export', 'exports.handler = { name: "rev", async handle(i) { return { body: Buffer.from(i.body).reverse(), contentType: "text/plain", extension: ".rev" }; } };'],
    ['default export', 'exports.default = { name: "rev", async handle(i) { return { body: Buffer.from(i.body).reverse(), contentType: "text/plain", extension: ".rev" }; } };'],
    ['bare function', 'module.exports.handler = async (i) => ({ body: Buffer.from(i.body).reverse(), contentType: "text/plain", extension: ".rev" });'],
  ])('loads a %s', async (_what, source) => {
    const h = loadModuleHandler(mod(`ok-${Math.random().toString(36).slice(2)}.js`, source));
    const out = await h.handle(input, ctx);
    expect(Buffer.from(out.body).toString()).toBe('cba');
    expect(out.extension).toBe('.rev');
  });

  test('a missing module or one without a handler is a configuration error that says what to export', () => {
    expect(() => loadModuleHandler(path.join(dir, 'nope.js'))).toThrow(ConfigError);
    expect(() => loadModuleHandler(mod('empty.js', 'exports.other = 1;'))).toThrow(/export default \(or export const handler =\)/);
  });

  test('a malformed result fails the job instead of writing junk', async () => {
    const h = loadModuleHandler(mod('bad.js', 'exports.handler = async () => ({ body: "text", extension: ".x" });'));
    await expect(h.handle(input, ctx)).rejects.toThrow(/expected \{ body: Uint8Array, contentType, extension \}/);
  });

  test('a module marks permanent failures without importing the runtime: permanent + kind', async () => {
    const h = loadModuleHandler(mod('perm.js', 'exports.handler = async () => { throw Object.assign(new Error("empty upload"), { permanent: true, kind: "empty" }); };'));
    const err = await h.handle(input, ctx).catch((e: unknown) => e);
    expect(isPermanent(err)).toBe(true);
    expect((err as PermanentError).kind).toBe('empty');
    expect(isPermanent(new PermanentError('k', 'm'))).toBe(true);
    expect(isPermanent(new Error('plain'))).toBe(false);
    expect(isPermanent(Object.assign(new Error('no kind'), { permanent: true }))).toBe(false);
    expect(isPermanent({ permanent: true, kind: 'not an Error' })).toBe(false);
  });
});
