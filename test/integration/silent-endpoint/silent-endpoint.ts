/**
 * Endpoints that fail the worst way: a TCP server on 127.0.0.1 that accepts every connection
 * and never sends a byte (a hung load balancer, a stuck proxy), and a port whose accept queue is
 * full so connections never complete. No AWS peer can be made to do either on purpose.
 */
import { spawn, ChildProcess } from 'child_process';
import * as net from 'net';

export interface SilentServer {
  readonly endpoint: string;
  /** Connections accepted so far (one per SDK attempt). */
  readonly connections: number;
  close(): Promise<void>;
}

export async function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((s) => {
    connections += 1;
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
    // Reads whatever is sent (so a PUT's body is not held back by flow control) and never answers.
    s.resume();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get connections() { return connections; },
    close: () => new Promise<void>((r) => { sockets.forEach((s) => s.destroy()); server.close(() => r()); }),
  };
}

export interface UnacceptingPort {
  readonly endpoint: string;
  close(): Promise<void>;
}

/**
 * A listening socket that never calls accept(), its queue filled first: the kernel then drops
 * further SYNs, so a connect() stays pending (what a black-holed address looks like).
 */
export async function startUnacceptingPort(): Promise<UnacceptingPort> {
  const py = 'import socket,sys,time\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\nsys.stdin.read()\n';
  const child: ChildProcess = spawn('python3', ['-c', py], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once('exit', (c) => reject(new Error(`python3 exited ${c}`)));
  });
  // Fill the accept queue (a backlog of 0 still admits one or two on Linux).
  const fillers: net.Socket[] = [];
  for (let i = 0; i < 4; i++) {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => undefined);
    fillers.push(s);
  }
  await new Promise((r) => setTimeout(r, 200));
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: async () => {
      fillers.forEach((s) => s.destroy());
      const exited = new Promise((r) => child.once('exit', r));
      child.stdin!.end();
      await exited;
    },
  };
}

/** Settles with the promise's outcome, or with 'still pending' after `ms` (a guard, not a measurement). */
export async function outcomeWithin(p: Promise<unknown>, ms: number): Promise<{ state: 'resolved' | 'rejected' | 'still pending'; error?: Error }> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<{ state: 'still pending' }>((r) => { timer = setTimeout(() => r({ state: 'still pending' }), ms); });
  try {
    return await Promise.race([p.then(() => ({ state: 'resolved' as const }), (error: Error) => ({ state: 'rejected' as const, error })), guard]);
  } finally {
    clearTimeout(timer);
  }
}
