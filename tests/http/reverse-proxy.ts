/**
 * A tiny HTTP reverse proxy on 127.0.0.1 for tests, standing in for the TLS proxy (nginx,
 * caddy) that operators put in front of central: it forwards every request to `target` over
 * its own connections and appends the address it received the request from to
 * X-Forwarded-For, as nginx's `$proxy_add_x_forwarded_for` does.
 */
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReverseProxy {
  url: string;
  close(): Promise<void>;
}

/** X-Forwarded-For as received (repeated headers joined), with `peer` appended. */
function appendForwardedFor(headers: IncomingHttpHeaders, peer: string): string {
  const prior = headers['x-forwarded-for'];
  const list = Array.isArray(prior) ? prior.join(', ') : prior;
  return list ? `${list}, ${peer}` : peer;
}

export async function startReverseProxy(target: string): Promise<ReverseProxy> {
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const forwarded = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        localAddress: '127.0.0.1',
        method: req.method,
        path: req.url,
        headers: {
          ...req.headers,
          'x-forwarded-for': appendForwardedFor(req.headers, req.socket.remoteAddress ?? ''),
        },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forwarded.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
