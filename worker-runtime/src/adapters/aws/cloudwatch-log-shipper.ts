/**
 * Ships the runtime's JSON log lines to CloudWatch Logs (`SPOT_WORKER_LOG_GROUP`), so they outlive a
 * Spot instance; the journal keeps its own copy (stdout). One stream per instance
 * (`<instance id>/worker`; a failed boot writes `<instance id>/boot`), created at the first send.
 *
 * `write` only appends to a bounded buffer and returns: a job never waits for CloudWatch. Lines
 * go out in batches, every `flushIntervalMs` or as soon as a batch is full, one call at a time.
 * A full buffer drops its oldest lines and says how many in a warning line once sending works
 * again; a failed send keeps its lines for the next try. `close` sends what is left, within a bound.
 */
import {
  CloudWatchLogsClient, CreateLogStreamCommand, InputLogEvent, PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { sleep } from '../../util/sleep';

/** PutLogEvents' limits: 10 000 events and 1 048 576 bytes a call, each event counted with 26 bytes more. */
const MAX_EVENTS_PER_CALL = 10_000;
const MAX_BYTES_PER_CALL = 1_048_576;
const EVENT_OVERHEAD_BYTES = 26;
/** One event's limit is 1 MiB; lines are cut well below it. */
const MAX_LINE_BYTES = 256 * 1024;
const DROPPED_MSG = 'log lines dropped: the shipping buffer was full';

export interface LogShipperOptions {
  /** Lines kept while they cannot be sent; beyond it the oldest are dropped. @default 10000 */
  readonly maxBufferedLines?: number;
  /** @default 5000 */
  readonly flushIntervalMs?: number;
  /** Lines a batch holds before it is sent at once. @default 500 */
  readonly batchLines?: number;
  /**
   * Where the shipper's own complaints go (a send failing, lines dropped): stdout's JSON lines,
   * never the shipper itself while it is failing. @default process.stdout
   */
  readonly writeLocal?: (line: string) => void;
}

export interface LogShipperStats {
  readonly sent: number;
  readonly dropped: number;
  readonly failedSends: number;
  readonly buffered: number;
}

export class CloudWatchLogShipper {
  private buffer: InputLogEvent[] = [];
  private readonly maxBuffered: number;
  private readonly batchLines: number;
  private readonly writeLocal: (line: string) => void;
  private readonly timer: NodeJS.Timeout;
  private streamReady = false;
  private sending?: Promise<void>;
  private closed = false;
  /** Dropped since the last warning about it. */
  private droppedUnreported = 0;
  /** Whether the last send failed, so an outage is reported once. */
  private failing = false;
  private counters = { sent: 0, dropped: 0, failedSends: 0 };

  constructor(private readonly client: CloudWatchLogsClient, readonly group: string, readonly stream: string, options: LogShipperOptions = {}) {
    this.maxBuffered = Math.max(1, options.maxBufferedLines ?? 10_000);
    this.batchLines = Math.min(MAX_EVENTS_PER_CALL, Math.max(1, options.batchLines ?? 500));
    this.writeLocal = options.writeLocal ?? ((line) => { process.stdout.write(line); });
    this.timer = setInterval(() => { void this.flush(); }, options.flushIntervalMs ?? 5000);
    // Shipping alone never keeps the process alive.
    this.timer.unref();
  }

  get stats(): LogShipperStats {
    return { ...this.counters, buffered: this.buffer.length };
  }

  /** Buffers one log line (a JSON object and its newline). Never blocks, never throws. */
  write(line: string): void {
    if (this.closed) return;
    let message = line.endsWith('\n') ? line.slice(0, -1) : line;
    if (Buffer.byteLength(message) > MAX_LINE_BYTES) message = Buffer.from(message).subarray(0, MAX_LINE_BYTES).toString();
    this.buffer.push({ timestamp: Date.now(), message });
    this.trim();
    if (this.buffer.length >= this.batchLines) void this.flush();
  }

  /** Sends everything buffered now (batch after batch); resolves when done or a send failed. Never rejects. */
  flush(): Promise<void> {
    if (!this.sending) {
      this.sending = this.sendAll().finally(() => { this.sending = undefined; });
    }
    return this.sending;
  }

  /**
   * Stops taking lines and sends what is left, for at most `timeoutMs` (a drain or exit must not
   * wait on an endpoint that does not answer). Resolves true when everything was sent.
   */
  async close(timeoutMs: number): Promise<boolean> {
    clearInterval(this.timer);
    const until = Date.now() + timeoutMs;
    let sent = false;
    while (!sent && Date.now() < until) {
      const attempt = this.flush().then(() => this.buffer.length === 0 && this.droppedUnreported === 0);
      // The bound's timer is cancelled once the attempt ends: it must not hold the exiting process.
      const bound = new AbortController();
      const result = await Promise.race([attempt, sleep(Math.max(0, until - Date.now()), bound.signal).then(() => undefined)]);
      bound.abort();
      if (result === true) sent = true;
      else if (result === false) await sleep(Math.min(500, Math.max(0, until - Date.now())));
    }
    this.closed = true;
    return sent;
  }

  private trim(): void {
    const over = this.buffer.length - this.maxBuffered;
    if (over > 0) {
      this.buffer.splice(0, over);
      this.counters.dropped += over;
      this.droppedUnreported += over;
    }
  }

  private async sendAll(): Promise<void> {
    while (this.buffer.length > 0 || this.droppedUnreported > 0) {
      // Lines dropped since the last report are said first, in the stream where the gap is.
      const dropped = this.droppedUnreported;
      const batch = this.takeBatch(dropped > 0 ? 1 : 0);
      const events = dropped > 0 ? [this.droppedEvent(dropped, batch[0]?.timestamp), ...batch] : batch;
      try {
        await this.ensureStream();
        await this.client.send(new PutLogEventsCommand({ logGroupName: this.group, logStreamName: this.stream, logEvents: events }));
        this.counters.sent += batch.length;
        this.droppedUnreported -= dropped;
        if (dropped > 0) this.local('warn', DROPPED_MSG, { dropped, totalDropped: this.counters.dropped });
        if (this.failing) this.local('info', 'log shipping works again', { buffered: this.buffer.length });
        this.failing = false;
      } catch (err) {
        // Back in front, in order; the bound still holds (the oldest go first).
        this.buffer = [...batch, ...this.buffer];
        this.trim();
        this.counters.failedSends += 1;
        if (!this.failing) {
          this.local('warn', 'log shipping failed; lines are kept and sent again', {
            logGroup: this.group, buffered: this.buffer.length, error: (err as Error).message,
          });
        }
        this.failing = true;
        return;
      }
    }
  }

  /**
   * The counted warning about dropped lines, as an event. Stamped like the line after the gap, since
   * a batch must be in time order (its own `time` field says when it was written).
   */
  private droppedEvent(dropped: number, timestamp: number | undefined): InputLogEvent {
    const message = JSON.stringify({
      time: new Date().toISOString(),
      level: 'warn',
      msg: DROPPED_MSG,
      component: 'log-shipper',
      dropped,
      totalDropped: this.counters.dropped,
      maxBufferedLines: this.maxBuffered,
    });
    return { timestamp: timestamp ?? Date.now(), message };
  }

  /** The oldest lines that fit one call. */
  private takeBatch(reserved: number): InputLogEvent[] {
    let bytes = reserved * 1024;
    let n = 0;
    while (n < this.buffer.length && n + reserved < this.batchLines) {
      const size = Buffer.byteLength(this.buffer[n].message!) + EVENT_OVERHEAD_BYTES;
      if (n > 0 && bytes + size > MAX_BYTES_PER_CALL) break;
      bytes += size;
      n++;
    }
    return this.buffer.splice(0, n);
  }

  private async ensureStream(): Promise<void> {
    if (this.streamReady) return;
    try {
      await this.client.send(new CreateLogStreamCommand({ logGroupName: this.group, logStreamName: this.stream }));
    } catch (err) {
      // A restart of the worker on the same instance finds its stream.
      if ((err as { name?: string }).name !== 'ResourceAlreadyExistsException') throw err;
    }
    this.streamReady = true;
  }

  private local(level: string, msg: string, fields: Record<string, unknown>): void {
    this.writeLocal(JSON.stringify({ time: new Date().toISOString(), level, msg, component: 'log-shipper', ...fields }) + '\n');
  }
}
