/**
 * Runs an external command per object (`SPOT_WORKER_HANDLER=command`). The input is written
 * to a private temporary folder; the command gets its paths in environment variables (never
 * spliced into the command line, so keys cannot inject shell syntax) and writes its output
 * file. Exit 0 = success, 65 (EX_DATAERR) = this input can never succeed (→ DLQ), anything
 * else, a signal or the timeout = transient (retried). See docs/handlers.md.
 */
import { spawn } from 'child_process';
import * as fs from 'fs/promises';
import * as os from 'os';
import * as path from 'path';
import { FailureKind } from '../contract/failure-kinds';
import { PermanentError, TransientError } from '../core/errors';
import type { Handler, HandlerContext, HandlerInput, HandlerOutput } from '../core/handler';

/** sysexits.h EX_DATAERR: "the input data was incorrect in some way". */
export const PERMANENT_EXIT_CODE = 65;

export interface CommandHandlerOptions {
  /** Run with `/bin/sh -c`. */
  readonly command: string;
  /** Appended to the source key to form the output key. @default '.out' */
  readonly outputExtension?: string;
  /** @default 'application/octet-stream' */
  readonly contentType?: string;
  /** @default 900 */
  readonly timeoutSeconds?: number;
  /** Grace between SIGTERM and SIGKILL when the command must stop. @default 5 */
  readonly killGraceSeconds?: number;
  /** @default os.tmpdir() */
  readonly tempDir?: string;
}

/** Keep the source's extension (tools often dispatch on it) but nothing else from the key. */
function inputFileName(key: string): string {
  const ext = path.extname(key).replace(/[^A-Za-z0-9.]/g, '').slice(0, 16);
  return `input${ext}`;
}

export function createCommandHandler(options: CommandHandlerOptions): Handler {
  const extension = options.outputExtension ?? '.out';
  const contentType = options.contentType ?? 'application/octet-stream';
  const timeoutMs = (options.timeoutSeconds ?? 900) * 1000;
  const killGraceMs = (options.killGraceSeconds ?? 5) * 1000;
  return {
    name: 'command',
    async handle(input: HandlerInput, context: HandlerContext): Promise<HandlerOutput> {
      const dir = await fs.mkdtemp(path.join(options.tempDir ?? os.tmpdir(), 'spot-worker-'));
      try {
        const inputFile = path.join(dir, inputFileName(input.key));
        const outputFile = path.join(dir, `output${extension}`);
        await fs.writeFile(inputFile, input.body);
        await runCommand(options.command, {
          SPOT_WORKER_INPUT_FILE: inputFile,
          SPOT_WORKER_OUTPUT_FILE: outputFile,
          SPOT_WORKER_SOURCE_BUCKET: input.bucket,
          SPOT_WORKER_SOURCE_KEY: input.key,
        }, dir, timeoutMs, killGraceMs, context.signal);
        let body: Buffer;
        try {
          body = await fs.readFile(outputFile);
        } catch {
          throw new TransientError(FailureKind.COMMAND_NO_OUTPUT, 'command exited 0 but wrote no file at $SPOT_WORKER_OUTPUT_FILE');
        }
        return { body, contentType, extension };
      } finally {
        await fs.rm(dir, { recursive: true, force: true });
      }
    },
  };
}

function runCommand(
  command: string, vars: Record<string, string>, cwd: string, timeoutMs: number, killGraceMs: number, signal: AbortSignal,
): Promise<void> {
  signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    // Own process group, so a stop reaches the command's children too (sh -c 'a | b').
    const child = spawn('/bin/sh', ['-c', command], { cwd, env: { ...process.env, ...vars }, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-2000); });
    let stopReason: string | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    const stop = (why: string) => {
      if (stopReason) return;
      stopReason = why;
      const kill = (sig: NodeJS.Signals) => { try { process.kill(-child.pid!, sig); } catch { /* already gone */ } };
      kill('SIGTERM');
      killTimer = setTimeout(() => kill('SIGKILL'), killGraceMs);
    };
    const timer = setTimeout(() => stop(`timed out after ${timeoutMs / 1000} s`), timeoutMs);
    const onAbort = () => stop('aborted');
    signal.addEventListener('abort', onAbort, { once: true });
    child.on('error', (err) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      reject(new TransientError(FailureKind.COMMAND_FAILED, `could not start the command: ${err.message}`));
    });
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      signal.removeEventListener('abort', onAbort);
      const tail = stderr.trim().split('\n').slice(-5).join(' | ');
      if (stopReason) return reject(new TransientError(FailureKind.COMMAND_FAILED, `command ${stopReason}${tail ? `: ${tail}` : ''}`));
      if (code === 0) return resolve();
      if (code === PERMANENT_EXIT_CODE) {
        return reject(new PermanentError(FailureKind.COMMAND_REJECTED, `command rejected the input (exit ${code})${tail ? `: ${tail}` : ''}`));
      }
      reject(new TransientError(FailureKind.COMMAND_FAILED, `command failed (${sig ? `signal ${sig}` : `exit ${code}`})${tail ? `: ${tail}` : ''}`));
    });
  });
}
