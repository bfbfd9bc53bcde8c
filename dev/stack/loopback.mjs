// Listening on and closing loopback servers, shared by the stand-ins.
export const HOST = '127.0.0.1';

/** Listens on 127.0.0.1; resolves the port (useful with port 0). */
export function listen(server, port) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, () => {
      server.off('error', reject);
      resolve(server.address().port);
    });
  });
}

export function closeServer(server) {
  return new Promise(resolve => {
    // Keep-alive sockets (fetch, browsers) would otherwise hold close() open.
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
