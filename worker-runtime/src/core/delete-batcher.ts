/**
 * Collects finished messages and deletes them in batches of up to 10, checking each entry's
 * result: a refused delete is reported (the message will be redelivered and its output
 * overwritten identically), never silently assumed done.
 *
 * A lone delete waits up to `lingerMs` for companions: the caller keeps the message invisible in
 * the meantime, so waiting only saves requests. A full batch (10) goes at once, and `hurry()`
 * (drain) sends what is queued and stops waiting from then on.
 */
import type { DeleteEntry, WorkQueue } from './ports';

export interface DeleteOutcome {
  readonly ok: boolean;
  readonly code?: string;
  readonly message?: string;
}

interface Pending { readonly entry: DeleteEntry; readonly resolve: (o: DeleteOutcome) => void }

export class DeleteBatcher {
  private queue: Pending[] = [];
  private timer?: NodeJS.Timeout;
  private inFlight = new Set<Promise<void>>();

  /** `lingerMs`: how long a lone delete waits for companions. */
  constructor(private readonly workQueue: WorkQueue, private lingerMs = 1000) {}

  delete(id: string, receiptHandle: string): Promise<DeleteOutcome> {
    return new Promise((resolve) => {
      this.queue.push({ entry: { id, receiptHandle }, resolve });
      if (this.queue.length >= 10) this.send();
      else if (!this.timer) this.timer = setTimeout(() => this.send(), this.lingerMs);
    });
  }

  /** From now on nothing waits for companions; what is queued goes out at once. */
  hurry(): void {
    this.lingerMs = 0;
    while (this.queue.length > 0) this.send();
  }

  /** Sends everything queued and waits for all outstanding batches. */
  async flush(): Promise<void> {
    while (this.queue.length > 0) this.send();
    await Promise.all([...this.inFlight]);
  }

  private send(): void {
    if (this.timer) { clearTimeout(this.timer); this.timer = undefined; }
    const batch = this.queue.splice(0, 10);
    if (batch.length === 0) return;
    if (this.queue.length > 0) this.timer = setTimeout(() => this.send(), 0);
    // Batch entry ids must be unique and match [A-Za-z0-9_-]{1,80}; use positions, map back.
    const entries = batch.map((p, i) => ({ id: `m${i}`, receiptHandle: p.entry.receiptHandle }));
    const p = this.workQueue.deleteBatch(entries).then(
      (res) => {
        const failed = new Map(res.failed.map((f) => [f.id, f]));
        batch.forEach((b, i) => {
          const f = failed.get(`m${i}`);
          b.resolve(f ? { ok: false, code: f.code, message: f.message } : { ok: true });
        });
      },
      (err: Error) => batch.forEach((b) => b.resolve({ ok: false, code: err.name, message: err.message })),
    ).finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }
}
