/** Generated inputs for local-mode tests: small JPEGs made with sharp, and bad files. */
import { mkdirSync, writeFileSync } from 'fs';
import * as path from 'path';
import { Writable } from 'stream';
import sharp from 'sharp';

export async function goodJpeg(seed: number): Promise<Buffer> {
  const background = { r: (seed * 53) % 256, g: (seed * 97) % 256, b: (seed * 31) % 256 };
  return sharp({ create: { width: 48 + (seed % 5) * 8, height: 32 + (seed % 3) * 8, channels: 3, background } })
    .jpeg({ quality: 80 })
    .toBuffer();
}

/** Files the handler must refuse permanently, with the reason they should produce. */
export const BAD_FILES: Record<string, Buffer> = {
  'bad/empty.jpg': Buffer.alloc(0),
  'bad/header only.jpg': Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]),
  'bad/not-an-image.jpg': Buffer.from('this is a text file with a .jpg name\n'),
};

/** Writes `count` good images (some in folders, names with spaces and `+`) and the bad files; returns their relative paths. */
export async function writeImages(dir: string, count: number): Promise<{ good: string[]; bad: string[] }> {
  const good: string[] = [];
  for (let i = 0; i < count; i++) {
    const rel = i % 3 === 0 ? `nested/folder ${i}/photo+${i}.jpg` : i % 3 === 1 ? `img ${i}.JPG` : `img-${i}.photo.jpeg`;
    const file = path.join(dir, ...rel.split('/'));
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, await goodJpeg(i));
    good.push(rel);
  }
  for (const [rel, body] of Object.entries(BAD_FILES)) {
    const file = path.join(dir, ...rel.split('/'));
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, body);
  }
  return { good, bad: Object.keys(BAD_FILES) };
}

/** A stream that keeps what is written, for asserting on a run's output. */
export class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}
