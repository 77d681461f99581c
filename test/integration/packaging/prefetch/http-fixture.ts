import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';

/** What the fixture server answers for a path. */
export type Route =
  | { body: Uint8Array }
  | { redirect: string }
  /** Sends `body`, then never finishes the response (for abort tests). */
  | { stall: Uint8Array };

/** A real HTTP server on 127.0.0.1 (port 0), closed when the test ends. Unknown paths are 404. */
export async function serveRoutes(t: TestContext, routes: Record<string, Route>): Promise<string> {
  const server: Server = createServer((req, res) => {
    const route = routes[req.url ?? ''];
    if (route === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not here\n');
    } else if ('redirect' in route) {
      res.writeHead(302, { location: route.redirect }).end();
    } else if ('stall' in route) {
      res.writeHead(200, { 'content-length': String(route.stall.length * 1000) });
      res.write(route.stall);
    } else {
      res.writeHead(200, { 'content-length': String(route.body.length) }).end(route.body);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}
