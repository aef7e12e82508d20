/**
 * Helpers for the metadata-mock suites: a logger that records what the runtime logs, a
 * bounded wait, and restarting amazon-ec2-metadata-mock on the port it already had (a fresh
 * mock knows none of the old session tokens, which is how a 401 is produced for real).
 */
import { spawn } from 'child_process';
import { peerPath, RunningPeer } from '../../support/peers';

export interface LogEntry {
  readonly level: string;
  readonly message: string;
  readonly fields?: Record<string, unknown>;
}

export function recordingLogger() {
  const entries: LogEntry[] = [];
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) => { entries.push({ level, message, fields }); };
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Polls `check` every 50 ms until it returns a value, or fails after `timeoutMs`. */
export async function waitUntil<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts the metadata mock (IMDSv2 only, 127.0.0.1) on a given port. */
export async function startMetadataMockOnPort(port: number, args: string[] = []): Promise<RunningPeer> {
  const bin = peerPath('AEMM_BIN');
  if (!bin) throw new Error('ec2-metadata-mock is not installed: run bash scripts/peers.sh');
  const child = spawn(bin, [...args, '-n', '127.0.0.1', '-p', String(port), '-I'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => { out = (out + d.toString()).slice(-4000); };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitUntil(`metadata mock on ${endpoint}`, async () => {
      if (child.exitCode !== null) throw new Error(`metadata mock exited (${child.exitCode}): ${out}`);
      try {
        const res = await fetch(`${endpoint}/latest/api/token`, { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' } });
        await res.arrayBuffer();
        return res.status === 200 ? true : undefined;
      } catch { return undefined; }
    }, 30_000);
  } catch (e) {
    await stop();
    throw e;
  }
  return { endpoint, port, process: child, stop };
}
