/**
 * The start ledger: one line per start of `spot-worker run` (epoch milliseconds), kept in the state
 * directory (`SPOT_WORKER_STATE_DIRECTORY`, systemd's `StateDirectory=spot-worker`) so it outlives
 * the restarts systemd makes. A worker that keeps failing is seen by how often it starts; the
 * caller compares the count with `SPOT_WORKER_START_LIMIT` (docs/runtime.md, "Starting").
 *
 * Also keeps the mark that this instance was already reported unhealthy, so the restarts that
 * follow (systemd keeps restarting until the group terminates the instance) do not count it again.
 */
import * as fs from 'fs';
import * as path from 'path';

const STARTS_FILE = 'starts';

/**
 * The ledger's directory: `SPOT_WORKER_STATE_DIRECTORY`, else the one systemd made for the unit
 * (`StateDirectory=` exports `$STATE_DIRECTORY`, colon-separated when there are several), else
 * none: a process systemd does not restart (a shell, a test) has no starts worth counting, and
 * must not write into the host's /var/lib.
 */
export function ledgerDirectory(configured: string | undefined, env: Record<string, string | undefined>): string | undefined {
  return configured || env.STATE_DIRECTORY?.split(':')[0] || undefined;
}
const MARK_FILE = 'marked-unhealthy';

export interface StartCount {
  /** Starts within the window, this one included. */
  readonly count: number;
  /** The ledger's file. */
  readonly file: string;
}

/** Epoch-ms lines of `text` no older than `sinceMs` (lines that do not parse are dropped). */
function recentStarts(text: string, sinceMs: number, nowMs: number): number[] {
  return text.split('\n')
    .map((l) => Number(l.trim()))
    // A time in the future (a clock that jumped back) is kept: it is a start all the same.
    .filter((t) => Number.isSafeInteger(t) && t > 0 && t > sinceMs && t <= nowMs + 86_400_000);
}

function readIfPresent(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
}

/** Writes through a temporary file and a rename, so a crash mid-write never leaves half a ledger. */
function writeAtomically(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text, { mode: 0o640 });
  fs.renameSync(tmp, file);
}

/**
 * Records a start at `nowMs` and returns how many starts the window holds, this one included.
 * Lines older than the window are pruned. Throws when the directory cannot be made or written
 * (the caller logs it and starts anyway: a broken ledger must not stop a worker).
 */
export function recordStart(directory: string, windowSeconds: number, nowMs: number = Date.now()): StartCount {
  fs.mkdirSync(directory, { recursive: true });
  const file = path.join(directory, STARTS_FILE);
  const starts = [...recentStarts(readIfPresent(file), nowMs - windowSeconds * 1000, nowMs), nowMs];
  writeAtomically(file, starts.map((t) => `${t}\n`).join(''));
  return { count: starts.length, file };
}

/** Whether this instance was reported unhealthy within the window (by an earlier start). */
export function markedUnhealthyWithin(directory: string, windowSeconds: number, nowMs: number = Date.now()): boolean {
  try {
    return recentStarts(readIfPresent(path.join(directory, MARK_FILE)), nowMs - windowSeconds * 1000, nowMs).length > 0;
  } catch {
    return false;
  }
}

/** Remembers that this instance was reported unhealthy (after the report succeeded). */
export function rememberMarkedUnhealthy(directory: string, nowMs: number = Date.now()): void {
  writeAtomically(path.join(directory, MARK_FILE), `${nowMs}\n`);
}
