/**
 * Runs inside the boot proof's network namespace (test/integration/boot/instance.ts): forwards
 * each unix socket SOCKET to HOST:PORT in that namespace. Unix sockets live in the file system,
 * not in a network namespace, so the test (outside) reaches moto and the metadata mock (inside)
 * through them.
 *
 * Usage: node unix-bridge.js SOCKET=HOST:PORT...
 */
const fs = require('fs');
const net = require('net');

for (const arg of process.argv.slice(2)) {
  const [socket, target] = arg.split('=');
  const i = target.lastIndexOf(':');
  const host = target.slice(0, i);
  const port = Number(target.slice(i + 1));
  fs.rmSync(socket, { force: true });
  net.createServer((client) => {
    const upstream = net.connect(port, host);
    client.pipe(upstream).pipe(client);
    const close = () => { client.destroy(); upstream.destroy(); };
    client.on('error', close);
    upstream.on('error', close);
  }).listen(socket, () => process.stdout.write(`listening ${socket}\n`));
}
