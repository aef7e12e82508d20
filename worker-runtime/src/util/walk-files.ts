/**
 * The runtime's one folder walker: the files under a folder, recursively, in a stable order.
 * Used by `spot-worker convert` (its inputs), the local bucket (listing keys) and local mode
 * (the images to upload). Symbolic links are followed, each real folder is read once (so a
 * link loop ends), and entries that vanish while walking are passed over.
 */
import { promises as fsp } from 'fs';
import * as path from 'path';

export interface WalkedFile {
  /** Path relative to the root, '/'-separated (a key-like name on every platform). */
  readonly rel: string;
  /** Absolute path. */
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
}

export interface WalkOptions {
  /** Skip entries whose name starts with '.'. @default false */
  readonly skipHidden?: boolean;
  /** Folders (absolute, real paths) not to enter, e.g. the output folder of a conversion. */
  readonly skipDirs?: readonly string[];
  /** Called for a folder that cannot be listed (`list`) or an entry that cannot be read (`stat`). @default ignored */
  readonly onError?: (path: string, error: Error, what: 'list' | 'stat') => void;
}

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Every file under `root`, sorted by `rel`. A missing root yields no files (reported to `onError`). */
export async function walkFiles(root: string, options: WalkOptions = {}): Promise<WalkedFile[]> {
  const out: WalkedFile[] = [];
  const seen = new Set<string>();
  const skip = new Set(options.skipDirs ?? []);
  const start = path.resolve(root);
  const report = (p: string, err: unknown, what: 'list' | 'stat'): void => {
    if ((err as NodeJS.ErrnoException)?.code === 'ENOENT' && p !== start) return; // vanished while walking
    options.onError?.(p, err as Error, what);
  };
  const visit = async (dir: string, rel: string): Promise<void> => {
    let real: string;
    let names: string[];
    try {
      real = await fsp.realpath(dir);
      if (seen.has(real) || skip.has(real)) return;
      seen.add(real);
      names = (await fsp.readdir(dir)).sort(byName);
    } catch (err) {
      report(dir, err, 'list');
      return;
    }
    for (const name of names) {
      if (options.skipHidden && name.startsWith('.')) continue;
      const full = path.join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      let st;
      try {
        st = await fsp.stat(full);
      } catch (err) {
        report(full, err, 'stat');
        continue;
      }
      if (st.isDirectory()) await visit(full, r);
      else if (st.isFile()) out.push({ rel: r, path: full, size: st.size, mtimeMs: st.mtimeMs });
    }
  };
  await visit(start, '');
  return out.sort((a, b) => byName(a.rel, b.rel));
}
