import { createServer } from 'node:net';

/**
 * A TCP port free a moment ago: bound by us on port 0, then released. For tests that need a
 * fixed port number (Linux never shares a port bound as port 0, so a test of port sharing
 * must name the port).
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
