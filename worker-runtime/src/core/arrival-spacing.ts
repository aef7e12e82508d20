/**
 * How far apart the work this instance has taken arrived: the evidence for leaving early.
 *
 * The idle self-release (idle-release.ts) is a ski-rental rule: wait one boot idle, then leave. That
 * is never worse than twice the least instance time, but on sparse traffic it is always twice: every
 * gap longer than a boot costs a boot of idling plus a boot to relaunch. When arrivals are memoryless
 * (a Poisson stream) and come on average further apart than a boot, leaving as soon as the queue is
 * empty is the cheaper choice whatever has happened before: the expected cost of waiting T before
 * leaving is m·(1 − e^(−T/m)) + boot·e^(−T/m), which grows with T when the mean gap m exceeds the
 * boot (docs/benchmarks.md, section 4).
 *
 * The instance estimates that mean gap from the messages it received itself (SQS `SentTimestamp`,
 * first deliveries only: a redelivery is not new work): the span between the oldest and the newest
 * send, over the number of gaps between them. It keeps three numbers, not a list. An instance that
 * has seen one message has no gap to measure; it was started for work that came after a quiet spell
 * (otherwise an instance that had stayed would have taken it), so it counts as sparse. One that has
 * seen none found the queue empty when it started: it was launched for work already done (say by a
 * queue metric that came late, after the instance the upload woke had finished and left), and it
 * counts as sparse too, so such a launch costs a boot and 5 s rather than a boot and a full period.
 *
 * Why this stays close to the bound: an instance only stays idle through gaps shorter than a boot
 * (it leaves after one boot at the latest), so the messages it took after it started came less than
 * a boot apart and its estimate says "dense" — the early leave is chosen only by instances whose
 * messages were spread out while they booted, and then the next message comes after the boot-long
 * wait the bound also charges for.
 */

/** The rule's one figure: sparse when the mean gap between sends exceeds `thresholdMs`. */
export class ArrivalSpacing {
  private count = 0;
  private oldest = Infinity;
  private newest = -Infinity;

  /** One first delivery, sent at `sentAt` (epoch ms). */
  record(sentAt: number): void {
    if (!Number.isFinite(sentAt)) return;
    this.count += 1;
    this.oldest = Math.min(this.oldest, sentAt);
    this.newest = Math.max(this.newest, sentAt);
  }

  /** Messages recorded. */
  get messages(): number { return this.count; }

  /** Mean time between the recorded sends, ms; undefined with fewer than two. */
  get meanGapMs(): number | undefined {
    return this.count < 2 ? undefined : (this.newest - this.oldest) / (this.count - 1);
  }

  /** True when the sends came on average further apart than `thresholdMs` (or fewer than two were seen). */
  isSparserThan(thresholdMs: number): boolean {
    const gap = this.meanGapMs;
    return gap === undefined || gap > thresholdMs;
  }
}
