/** The Handler contract around the conversion, and the handler's configuration. */
import { fixture } from './fixtures';
import { inspectPdf } from './pdf-inspect';
import { loadRunConfig } from '../../../../worker-runtime/src/core/config';
import { PermanentError } from '../../../../worker-runtime/src/core/errors';
import {
  DEFAULT_DPI,
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_PIXELS,
  imageToPdfHandler,
  imageToPdfOptionsFromEnv,
  resolveOptions,
} from '../../../../worker-runtime/src/handlers/image-to-pdf';

const signal = () => new AbortController().signal;

describe('imageToPdfHandler', () => {
  test('returns a PDF with its content type and the extension appended to the key', async () => {
    const handler = imageToPdfHandler();
    expect(handler.name).toBe('image-to-pdf');
    const input = fixture('skimage_rocket.jpg');
    const out = await handler.handle({ key: 'uploads/a b/x.photo.jpg', bucket: 'b', body: input }, { signal: signal() });
    expect(out).toMatchObject({ contentType: 'application/pdf', extension: '.pdf' });
    const [page] = await inspectPdf(out.body);
    expect(Buffer.compare(Buffer.from(page.image.data), input)).toBe(0);
  });

  test('bad input surfaces as a PermanentError with its kind (the run loop sends it to the DLQ)', async () => {
    const handler = imageToPdfHandler({ maxBytes: 100 });
    await expect(handler.handle({ key: 'k', bucket: 'b', body: fixture('skimage_rocket.jpg') }, { signal: signal() }))
      .rejects.toMatchObject({ kind: 'too-large' });
    await expect(handler.handle({ key: 'k', bucket: 'b', body: Buffer.alloc(0) }, { signal: signal() }))
      .rejects.toBeInstanceOf(PermanentError);
  });

  test('an aborted job does not run', async () => {
    const controller = new AbortController();
    controller.abort(new Error('visibility extension failed'));
    await expect(imageToPdfHandler().handle({ key: 'k', bucket: 'b', body: fixture('skimage_rocket.jpg') }, { signal: controller.signal }))
      .rejects.toThrow('visibility extension failed');
  });

  test('invalid options fail when the handler is created, not on the first message', () => {
    expect(() => imageToPdfHandler({ maxPixels: 0 })).toThrow(/maxPixels must be a positive integer/);
    expect(() => imageToPdfHandler({ maxBytes: 1.5 })).toThrow(/maxBytes/);
  });
});

describe('options', () => {
  test('documented defaults', () => {
    expect(resolveOptions()).toEqual({ maxBytes: DEFAULT_MAX_BYTES, maxPixels: DEFAULT_MAX_PIXELS, validateDecode: false, defaultDpi: DEFAULT_DPI });
    expect([DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS, DEFAULT_DPI]).toEqual([104857600, 268402689, 96]);
  });

  test('read from the runtime environment variables', () => {
    expect(imageToPdfOptionsFromEnv({
      SPOT_WORKER_MAX_IMAGE_BYTES: '5000',
      SPOT_WORKER_MAX_IMAGE_PIXELS: '1000000',
      SPOT_WORKER_VALIDATE_DECODE: 'true',
    })).toEqual({ maxBytes: 5000, maxPixels: 1000000, validateDecode: true });
    expect(resolveOptions(imageToPdfOptionsFromEnv({}))).toEqual(resolveOptions());
  });

  test('malformed environment values are rejected by name', () => {
    expect(() => imageToPdfOptionsFromEnv({ SPOT_WORKER_MAX_IMAGE_BYTES: '10MB' })).toThrow(/SPOT_WORKER_MAX_IMAGE_BYTES='10MB' must be a whole number/);
    expect(() => imageToPdfOptionsFromEnv({ SPOT_WORKER_VALIDATE_DECODE: 'yes please' })).toThrow(/SPOT_WORKER_VALIDATE_DECODE/);
  });

  test('accepts exactly what the run command accepts (the contract parses both)', () => {
    // 'yes' and 'NO' are booleans to `spot-worker run`; the handler built alone once refused them.
    const env = { SPOT_WORKER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/1/q', SPOT_WORKER_DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/1/d' };
    for (const flag of ['yes', 'NO', ' 1 ']) {
      const run = loadRunConfig({ ...env, SPOT_WORKER_VALIDATE_DECODE: flag });
      expect(imageToPdfOptionsFromEnv({ SPOT_WORKER_VALIDATE_DECODE: flag }).validateDecode).toBe(run.validateDecode);
    }
    expect(() => loadRunConfig({ ...env, SPOT_WORKER_MAX_IMAGE_BYTES: '0' })).toThrow(/SPOT_WORKER_MAX_IMAGE_BYTES/);
    expect(() => imageToPdfOptionsFromEnv({ SPOT_WORKER_MAX_IMAGE_BYTES: '0' })).toThrow(/SPOT_WORKER_MAX_IMAGE_BYTES/);
  });
});
