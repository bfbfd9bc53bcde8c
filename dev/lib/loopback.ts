// Listening on and closing loopback servers, shared by the stand-ins.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const HOST = '127.0.0.1';

/** Listens on 127.0.0.1; resolves the port (useful with port 0). */
export function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise(resolve => {
    // Keep-alive sockets (fetch, browsers) would otherwise hold close() open.
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
