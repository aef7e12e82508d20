/* eslint-disable no-bitwise */ // zip headers and CRC-32 are bit fields
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';

/**
 * A zip archive of a folder whose bytes depend only on the files' paths, contents and execute
 * bits: entries sorted, every timestamp 1980-01-01 00:00, no extra fields. The boot script checks
 * the archive's sha256, so the construct must know the exact bytes that are uploaded; a folder
 * asset would be zipped later by the CDK CLI (cdk-assets), with bytes the synth cannot know.
 *
 * Symbolic links are stored as links (as `zip -y` does), so `unzip` restores them.
 */
export function zipFolder(folder: string): Buffer {
  const entries = listEntries(folder);
  if (entries.length > 0xffff) throw new Error(`zipFolder: ${folder} has ${entries.length} files; this zip writer supports at most 65535 (no zip64).`);
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const data = e.link !== undefined ? Buffer.from(e.link, 'utf8') : fs.readFileSync(path.join(folder, e.name));
    const deflated = zlib.deflateRawSync(data, { level: 9 });
    const stored = e.link !== undefined || deflated.length >= data.length;
    const body = stored ? data : deflated;
    const crc = crc32(data);
    const method = stored ? 0 : 8;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed: 2.0
    local.writeUInt16LE(0x0800, 6); // names are UTF-8
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(0, 10); // time 00:00:00
    local.writeUInt16LE(DOS_DATE_1980_01_01, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by Unix, so unzip applies the mode bits
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(DOS_DATE_1980_01_01, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    // extra length, comment length, disk number, internal attributes: 0
    central.writeUInt32LE((e.mode << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
    if (offset > 0xffffffff) throw new Error(`zipFolder: ${folder} is over 4 GiB; this zip writer does not write zip64.`);
  }
  const centralSize = centrals.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}

/** (year - 1980) << 9 | month << 5 | day, for 1980-01-01. */
const DOS_DATE_1980_01_01 = (0 << 9) | (1 << 5) | 1;

interface Entry {
  /** Path inside the archive, `/`-separated. */
  readonly name: string;
  /** Unix mode with the file type bits. */
  readonly mode: number;
  /** A symbolic link's target. */
  readonly link?: string;
}

function listEntries(root: string): Entry[] {
  const out: Entry[] = [];
  const walk = (rel: string) => {
    const names = fs.readdirSync(path.join(root, rel)).sort();
    for (const n of names) {
      const r = rel === '' ? n : `${rel}/${n}`;
      const st = fs.lstatSync(path.join(root, r));
      if (st.isSymbolicLink()) out.push({ name: r, mode: 0o120777, link: fs.readlinkSync(path.join(root, r)) });
      else if (st.isDirectory()) walk(r);
      // Only the execute bit is kept: owners and umask differ between machines.
      else if (st.isFile()) out.push({ name: r, mode: st.mode & 0o100 ? 0o100755 : 0o100644 });
    }
  };
  walk('');
  // Sorted by the archive name (readdir order per folder is not the same as the full-path order).
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (zip's checksum); zlib.crc32 only exists from Node.js 20.15/22.2. */
export function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
