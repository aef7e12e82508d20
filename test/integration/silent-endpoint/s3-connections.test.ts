/**
 * A worker runs up to SPOT_WORKER_MAX_CONCURRENCY jobs (256), each with at most one S3 request
 * open. The SDK's own agent opens 50 sockets per host and queues the rest, so the S3 client is
 * built with one connection per job slot: against an endpoint that accepts and never answers
 * (nothing completes, so every request holds its socket), all of them are open at once.
 */
import { startSilentServer, SilentServer } from './silent-endpoint';
import { createAwsClients, destroyAwsClients, s3ConnectionsFor } from '../../../worker-runtime/src/adapters/aws/aws-clients';
import { S3ObjectStore } from '../../../worker-runtime/src/adapters/aws/s3-object-store';

const ENV = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' };

async function peakConnections(server: SilentServer, requests: number): Promise<number> {
  // Until every request has its connection, or none was added for a second (the rest are queued).
  let last = -1;
  let stableSince = Date.now();
  for (const until = Date.now() + 20_000; Date.now() < until;) {
    const now = server.connections;
    if (now >= requests) return now;
    if (now !== last) { last = now; stableSince = Date.now(); }
    if (Date.now() - stableSince > 1000) return now;
    await new Promise((r) => setTimeout(r, 50));
  }
  return server.connections;
}

describe('S3 connections per worker', () => {
  test('one per job slot: a fixed concurrency, else SPOT_WORKER_MAX_CONCURRENCY', () => {
    expect(s3ConnectionsFor('auto', 256)).toBe(256);
    expect(s3ConnectionsFor(8, 256)).toBe(8);
  });

  test.each([120, 20])('%i job slots: that many S3 requests hold a connection at once, the rest wait (the SDK alone allows 50)', async (slots) => {
    const server = await startSilentServer();
    const clients = createAwsClients({ ...ENV, AWS_ENDPOINT_URL: server.endpoint },
      // Idle timeout well past the second the count needs to settle; the requests then fail and end.
      { connectionMs: 5_000, requestMs: 5_000, s3IdleMs: 5_000, maxAttempts: 1 }, slots);
    const store = new S3ObjectStore(clients.s3);
    const saved = { ...process.env };
    try {
      Object.assign(process.env, ENV, { AWS_ENDPOINT_URL: server.endpoint });
      // Twice the slots: the first `slots` hold their sockets, the rest must wait for one.
      const pending = Array.from({ length: slots * 2 }, (_, i) => store.getObject('bkt', `uploads/${i}.jpg`).catch(() => undefined));
      expect(await peakConnections(server, slots * 2)).toBe(slots);
      await server.close();
      await Promise.all(pending);
    } finally {
      process.env = saved;
      destroyAwsClients(clients);
      await server.close();
    }
  }, 60_000);
});
