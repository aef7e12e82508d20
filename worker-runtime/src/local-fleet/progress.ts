/**
 * Progress of a long run (local mode, `spot-worker convert`): a bar redrawn in place on a terminal,
 * plain lines otherwise (CI logs, pipes), printed only when something changed and at most every few seconds.
 */
export interface ProgressSnapshot {
  readonly images: number;
  readonly pdfs: number;
  readonly deadLettered: number;
  readonly backlog: number;
  readonly workers: number;
  readonly interruptions: number;
  readonly elapsedSeconds: number;
}

export interface ProgressOptions {
  readonly label: string;
  readonly stream: NodeJS.WriteStream | NodeJS.WritableStream;
  /** @default the stream's isTTY */
  readonly tty?: boolean;
  /** Minimum seconds between plain lines when only the clock changed. @default 5 */
  readonly plainEverySeconds?: number;
}

const BAR_WIDTH = 28;

export class ProgressDisplay {
  private readonly tty: boolean;
  private lastKey = '';
  private lastPlainAt = 0;
  private drawn = false;

  constructor(private readonly options: ProgressOptions) {
    this.tty = options.tty ?? Boolean((options.stream as NodeJS.WriteStream).isTTY);
  }

  /** Local mode's line: done of images, the queue, the fleet, the interruptions, the clock. */
  update(s: ProgressSnapshot): void {
    const done = s.pdfs + s.deadLettered;
    const text = `${done}/${s.images} done (${s.pdfs} PDF, ${s.deadLettered} DLQ) · backlog ${s.backlog} · ${s.workers} worker${s.workers === 1 ? '' : 's'}`
      + ` · ${s.interruptions} interruption${s.interruptions === 1 ? '' : 's'} · ${s.elapsedSeconds.toFixed(1)} s`;
    this.show(done, s.images, text, `${done}/${s.images}/${s.backlog}/${s.workers}/${s.interruptions}`);
  }

  /**
   * Any progress: on a terminal a bar of done/total and the text, redrawn in place; otherwise a
   * plain line when `key` changed (at most 4 a second) or every few seconds while it does not.
   */
  show(done: number, total: number, text: string, key = `${done}/${total}`): void {
    if (this.tty) {
      const ratio = total > 0 ? Math.min(1, done / total) : 0;
      const filled = Math.round(ratio * BAR_WIDTH);
      const bar = `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`;
      this.options.stream.write(`\r\x1b[2K${this.options.label}: ${bar} ${text}`);
      this.drawn = true;
      return;
    }
    const every = (this.options.plainEverySeconds ?? 5) * 1000;
    const now = Date.now();
    if (key === this.lastKey && now - this.lastPlainAt < every) return;
    if (key !== this.lastKey && now - this.lastPlainAt < 250) return; // at most 4 lines a second
    this.lastKey = key;
    this.lastPlainAt = now;
    this.options.stream.write(`${this.options.label}: ${text}\n`);
  }

  /** A line of its own (scaling events), without breaking the bar. */
  note(line: string): void {
    this.clearBar();
    this.options.stream.write(`${this.options.label}: ${line}\n`);
  }

  /** A line exactly as given (no label), without breaking the bar: e.g. `FAILED <file>: <reason>`. */
  line(text: string): void {
    this.clearBar();
    this.options.stream.write(`${text}\n`);
  }

  /** Ends the bar's line so that the report starts on a fresh one. */
  finish(): void {
    this.clearBar();
  }

  private clearBar(): void {
    if (this.tty && this.drawn) {
      this.options.stream.write('\r\x1b[2K');
      this.drawn = false;
    }
  }
}
