/**
 * A small IMDSv2 client: session tokens, short timeouts, and the few metadata paths the
 * worker needs to notice that its instance is going away. Uses Node's built-in fetch so the
 * bundle carries no extra dependency.
 *
 * The endpoint honours `AWS_EC2_METADATA_SERVICE_ENDPOINT` like the AWS SDKs do, which is how
 * the tests point it at amazon-ec2-metadata-mock.
 */

export const DEFAULT_IMDS_ENDPOINT = 'http://169.254.169.254';

/** What a Spot instance-action document says: the action and when it happens. */
export interface SpotInstanceAction {
  /** `terminate`, `stop` or `hibernate`. */
  readonly action: string;
  /** When the instance is interrupted; undefined when the document has no readable time. */
  readonly time?: Date;
}

/** A rebalance recommendation: the instance is at elevated risk of interruption. */
export interface RebalanceRecommendation {
  /** When EC2 emitted the recommendation; undefined when the document has no readable time. */
  readonly noticeTime?: Date;
}

export interface ImdsClientOptions {
  /**
   * Base URL of the metadata service.
   * @default process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT, else http://169.254.169.254
   */
  readonly endpoint?: string;
  /**
   * Lifetime requested for session tokens (1..21600 s). A token is renewed shortly before it
   * expires, and at once when the service answers 401.
   * @default 21600
   */
  readonly tokenTtlSeconds?: number;
  /**
   * Per-request timeout. IMDS answers in milliseconds on an instance; off EC2 the link-local
   * address does not answer at all, so a long timeout would only stall the poll loop.
   * @default 1000
   */
  readonly timeoutMs?: number;
}

/** The metadata service answered with an unexpected status, or could not be reached. */
export class ImdsError extends Error {
  /** HTTP status, or undefined for network errors and timeouts. */
  public readonly status?: number;
  constructor(message: string, status?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImdsError';
    this.status = status;
  }
}

const TOKEN_HEADER = 'x-aws-ec2-metadata-token';
const TOKEN_TTL_HEADER = 'x-aws-ec2-metadata-token-ttl-seconds';
/** Renew a token this long before it expires, so a request never races its expiry. */
const TOKEN_RENEW_MARGIN_MS = 5_000;

interface Token {
  readonly value: string;
  readonly expiresAt: number;
}

export class ImdsClient {
  public readonly endpoint: string;
  private readonly tokenTtlSeconds: number;
  private readonly timeoutMs: number;
  private token?: Token;
  /** A token request in flight, shared by concurrent callers. */
  private pendingToken?: Promise<Token>;

  constructor(options: ImdsClientOptions = {}) {
    const endpoint = options.endpoint ?? process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT ?? DEFAULT_IMDS_ENDPOINT;
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new Error(`invalid IMDS endpoint '${endpoint}': set AWS_EC2_METADATA_SERVICE_ENDPOINT to a URL such as http://169.254.169.254`);
    }
    this.endpoint = url.toString().replace(/\/+$/, '');
    const ttl = options.tokenTtlSeconds ?? 21_600;
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > 21_600) {
      throw new Error(`tokenTtlSeconds must be an integer from 1 to 21600, got ${ttl}`);
    }
    this.tokenTtlSeconds = ttl;
    const timeout = options.timeoutMs ?? 1_000;
    if (!(timeout > 0)) throw new Error(`timeoutMs must be positive, got ${timeout}`);
    this.timeoutMs = timeout;
  }

  /**
   * GETs a metadata path (e.g. `/latest/meta-data/instance-id`). Resolves to the body, or
   * undefined when the path does not exist (404), which is how IMDS says "no such event".
   * A 401 (expired or unknown token) gets one retry with a fresh token.
   */
  public async get(path: string): Promise<string | undefined> {
    let token = await this.currentToken();
    let res = await this.request('GET', path, { [TOKEN_HEADER]: token.value });
    if (res.status === 401) {
      await drain(res);
      this.invalidate(token);
      token = await this.currentToken();
      res = await this.request('GET', path, { [TOKEN_HEADER]: token.value });
    }
    if (res.status === 404) {
      await drain(res);
      return undefined;
    }
    if (res.status !== 200) {
      await drain(res);
      throw new ImdsError(`IMDS GET ${path} answered ${res.status}`, res.status);
    }
    return res.text();
  }

  public async instanceId(): Promise<string> {
    const id = (await this.get('/latest/meta-data/instance-id'))?.trim();
    if (!id) throw new ImdsError('IMDS has no instance-id');
    return id;
  }

  /** The pending Spot interruption, or undefined when none is scheduled. */
  public async spotInstanceAction(): Promise<SpotInstanceAction | undefined> {
    const body = await this.get('/latest/meta-data/spot/instance-action');
    if (body === undefined) return undefined;
    const doc = parseJsonObject(body, 'spot/instance-action');
    return {
      action: typeof doc.action === 'string' ? doc.action : 'terminate',
      time: parseTime(doc.time),
    };
  }

  /** The rebalance recommendation, or undefined when none was emitted. */
  public async rebalanceRecommendation(): Promise<RebalanceRecommendation | undefined> {
    const body = await this.get('/latest/meta-data/events/recommendations/rebalance');
    if (body === undefined) return undefined;
    const doc = parseJsonObject(body, 'events/recommendations/rebalance');
    return { noticeTime: parseTime(doc.noticeTime) };
  }

  /**
   * The Auto Scaling target lifecycle state (`InService`, `Terminated`, `Warmed:*`, ...), or
   * undefined outside an Auto Scaling group.
   */
  public async targetLifecycleState(): Promise<string | undefined> {
    const body = await this.get('/latest/meta-data/autoscaling/target-lifecycle-state');
    return body === undefined ? undefined : body.trim();
  }

  private async currentToken(): Promise<Token> {
    if (this.token && Date.now() < this.token.expiresAt - TOKEN_RENEW_MARGIN_MS) return this.token;
    if (!this.pendingToken) {
      this.pendingToken = this.fetchToken().then(
        (t) => { this.token = t; this.pendingToken = undefined; return t; },
        (e) => { this.pendingToken = undefined; throw e; },
      );
    }
    return this.pendingToken;
  }

  /** Forgets a token the service refused, unless another caller already replaced it. */
  private invalidate(token: Token): void {
    if (this.token === token) this.token = undefined;
  }

  private async fetchToken(): Promise<Token> {
    const requestedAt = Date.now();
    const res = await this.request('PUT', '/latest/api/token', { [TOKEN_TTL_HEADER]: String(this.tokenTtlSeconds) });
    if (res.status !== 200) {
      await drain(res);
      throw new ImdsError(`IMDS token request answered ${res.status}`, res.status);
    }
    const value = (await res.text()).trim();
    if (!value) throw new ImdsError('IMDS returned an empty session token');
    // Measured from before the request, so the token is never believed to live longer than it does.
    return { value, expiresAt: requestedAt + this.tokenTtlSeconds * 1000 };
  }

  private async request(method: 'GET' | 'PUT', path: string, headers: Record<string, string>): Promise<Response> {
    try {
      return await fetch(this.endpoint + path, { method, headers, signal: AbortSignal.timeout(this.timeoutMs), redirect: 'manual' });
    } catch (err) {
      const reason = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')
        ? `no answer within ${this.timeoutMs} ms`
        : describe(err);
      throw new ImdsError(`IMDS ${method} ${path} failed: ${reason}`, undefined, { cause: err });
    }
  }
}

async function drain(res: Response): Promise<void> {
  // Consuming the body frees the connection for reuse.
  try { await res.arrayBuffer(); } catch { /* the body does not matter */ }
}

function parseJsonObject(body: string, what: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    throw new ImdsError(`IMDS ${what} is not JSON: ${body.slice(0, 80)}`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new ImdsError(`IMDS ${what} is not a JSON object`);
  return doc as Record<string, unknown>;
}

function parseTime(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : new Date(t);
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    const detail = cause instanceof Error ? `: ${cause.message}` : '';
    return `${err.message}${detail}`;
  }
  return String(err);
}
