/**
 * The cut-and-heal TCP proxy the multi-process sync tests put between each clinic node
 * and central: bytes flow, a cut resets open connections on both sides and refuses new
 * ones, a heal restores the link, and close() leaves nothing open.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTcpProxy, type TcpProxy } from './tcp-proxy';

let echo: Server;
let echoPort: number;
let web: HttpServer;
let webPort: number;
let slowRequests = 0;
const proxies: TcpProxy[] = [];

async function listen(server: Server | HttpServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

async function proxyTo(targetPort: number): Promise<TcpProxy> {
  const proxy = await startTcpProxy({ targetPort });
  proxies.push(proxy);
  return proxy;
}

/** Connects, and resolves once connected; the socket's data accumulates in `received()`. */
async function open(port: number): Promise<{ socket: Socket; received(): string }> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, received: () => text };
}

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const closed = (socket: Socket) =>
  new Promise<void>((resolve) => {
    if (socket.destroyed) resolve();
    else socket.once('close', () => resolve());
  });

const connectionsOf = (server: Server | HttpServer) =>
  new Promise<number>((resolve, reject) =>
    server.getConnections((err, count) => (err ? reject(err) : resolve(count))),
  );

beforeAll(async () => {
  echo = createServer((socket) => {
    socket.on('error', () => {});
    socket.pipe(socket);
  });
  echoPort = await listen(echo);
  web = createHttpServer((req, res) => {
    if (req.url === '/slow') {
      slowRequests += 1;
      // Headers and half a body, then nothing: a request still in flight.
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.write('partial');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ path: req.url }));
  });
  webPort = await listen(web);
});

afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});

afterAll(async () => {
  web.closeAllConnections();
  await new Promise((resolve) => web.close(resolve));
  await new Promise((resolve) => echo.close(resolve));
});

describe('startTcpProxy', () => {
  it('forwards bytes both ways, and HTTP through them', async () => {
    const proxy = await proxyTo(echoPort);
    expect(proxy.port).not.toBe(echoPort);
    const { socket, received } = await open(proxy.port);
    socket.write('hello ');
    socket.write('clinic');
    await until(() => received() === 'hello clinic', 'the echo');
    socket.end();
    await closed(socket);

    const webProxy = await proxyTo(webPort);
    const res = await fetch(`${webProxy.url}/ping`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ path: '/ping' });
    expect(proxy.stats).toMatchObject({ connections: 1, forwarded: 1, dropped: 0 });
    expect(webProxy.stats.connections).toBeGreaterThanOrEqual(1);
  });

  it('cut() resets open connections on both sides and refuses new ones; heal() restores', async () => {
    const proxy = await proxyTo(webPort);
    const seen = slowRequests;
    const inFlight = fetch(`${proxy.url}/slow`).then((r) => r.text());
    inFlight.catch(() => {}); // awaited below; this only keeps it from being unhandled meanwhile
    // The server has answered with headers: the request is mid-body when the link is cut.
    await until(() => slowRequests === seen + 1, 'the slow request to reach the server');
    const raw = await open(proxy.port);
    await until(() => proxy.stats.open === 2, 'the raw connection');
    await until(async () => (await connectionsOf(web)) === 2, 'both to reach the server');

    proxy.cut();
    expect(proxy.isCut).toBe(true);
    await expect(inFlight).rejects.toThrow();
    await closed(raw.socket);
    await until(() => proxy.stats.open === 0, 'the proxy to let go of both connections');
    // The far side was cut too: the server holds no connection from the proxy any more.
    await until(async () => (await connectionsOf(web)) === 0, 'the server side to be cut');

    await expect(fetch(`${proxy.url}/during-cut`)).rejects.toThrow();
    expect(proxy.stats.dropped).toBeGreaterThanOrEqual(1);
    expect(proxy.stats.forwarded).toBe(2);

    proxy.heal();
    expect(proxy.isCut).toBe(false);
    const res = await fetch(`${proxy.url}/after-heal`);
    expect(await res.json()).toEqual({ path: '/after-heal' });
  });

  it("cut('hang') stalls traffic without closing; heal() resets what was stalled", async () => {
    const proxy = await proxyTo(echoPort);
    const before = await open(proxy.port);
    before.socket.write('a');
    await until(() => before.received() === 'a', 'the first echo');

    proxy.cut('hang');
    before.socket.write('b');
    const during = await open(proxy.port); // accepted, but nothing comes back
    during.socket.write('c');
    await new Promise((r) => setTimeout(r, 200));
    expect(before.received()).toBe('a');
    expect(during.received()).toBe('');
    expect(before.socket.destroyed).toBe(false);
    expect(during.socket.destroyed).toBe(false);

    proxy.heal();
    await closed(before.socket);
    await closed(during.socket);
    const after = await open(proxy.port);
    after.socket.write('d');
    await until(() => after.received() === 'd', 'the echo after heal');
    after.socket.destroy();
  });

  it('setTarget() sends new connections to another port', async () => {
    const proxy = await proxyTo(echoPort);
    proxy.setTarget(webPort);
    expect(proxy.targetPort).toBe(webPort);
    const res = await fetch(`${proxy.url}/moved`);
    expect(await res.json()).toEqual({ path: '/moved' });
  });

  it('a target that is down looks like a dropped link', async () => {
    const gone = createServer();
    const port = await listen(gone);
    await new Promise((resolve) => gone.close(resolve));
    const proxy = await proxyTo(port);
    await expect(fetch(`${proxy.url}/`)).rejects.toThrow();
    await until(() => proxy.stats.open === 0, 'the client side to be closed');
  });

  it('close() ends every connection and stops listening', async () => {
    const proxy = await startTcpProxy({ targetPort: echoPort });
    const a = await open(proxy.port);
    const b = await open(proxy.port);
    await until(() => proxy.stats.open === 2, 'both connections');
    await proxy.close();
    await closed(a.socket);
    await closed(b.socket);
    expect(proxy.stats.open).toBe(0);
    await expect(open(proxy.port)).rejects.toThrow(/ECONNREFUSED/);
    await proxy.close(); // idempotent
  });
});
