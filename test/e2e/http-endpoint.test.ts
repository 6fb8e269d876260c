import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpServer } from '../../src/bot/http-server';
import { silentLogger } from '../support/fakes';

/** The bot's HTTP endpoint as an outsider meets it: where it listens, who reads /metrics, how long it waits. */
const TOKEN = 'metrics-token-0123456789';
let http: Awaited<ReturnType<typeof startHttpServer>>;

beforeAll(async () => {
  // No host given: the default is what is tested.
  http = await startHttpServer({ port: 0, log: silentLogger(), metrics: async () => 'mana_ops_up 1\n', metricsToken: TOKEN, timeouts: { headersMs: 300, requestMs: 600, idleMs: 400 } });
});

afterAll(async () => {
  http.server.closeAllConnections();
  await http.close();
});

const metrics = (authorization?: string) => fetch(`http://127.0.0.1:${http.port}/metrics`, { ...(authorization && { headers: { authorization } }) });

describe('the HTTP endpoint', () => {
  it('listens on the loopback only, unless HTTP_HOST says otherwise', () => {
    expect((http.server.address() as { address: string }).address).toBe('127.0.0.1');
  });

  it('/metrics wants the bearer token when METRICS_TOKEN is set', async () => {
    expect((await metrics()).status).toBe(401);
    expect((await metrics('Bearer wrong-token-0123456789')).status).toBe(401);
    const ok = await metrics(`Bearer ${TOKEN}`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('mana_ops_up 1\n');
  });

  it('cuts off a client that sends its headers a byte at a time, and one that connects and says nothing', async () => {
    /** Resolves when the server has let the connection go, whatever the client was doing (EPIPE included). */
    const closed = (socket: Socket) => new Promise<void>((resolve) => {
      socket.on('error', () => undefined);
      socket.once('close', () => resolve());
    });
    const slow = connect(http.port, '127.0.0.1');
    const slowClosed = closed(slow);
    await once(slow, 'connect');
    slow.write('GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    // A byte every 100 ms for 1.2 s: well past the 300 ms allowed for headers, each byte resetting the idle timer.
    let drops = 12;
    const drip = setInterval(() => (drops-- > 0 && slow.writable ? slow.write('X') : clearInterval(drip)), 100);
    let answer = '';
    slow.on('data', (d: Buffer) => (answer += d.toString()));
    await slowClosed;
    clearInterval(drip);
    expect(answer).toMatch(/^HTTP\/1\.1 408|^$/);
    const silent = connect(http.port, '127.0.0.1');
    const silentClosed = closed(silent);
    // Read what comes (nothing): a paused socket may never see the server's end, and so never close.
    silent.resume();
    await once(silent, 'connect');
    await silentClosed;
    expect(silent.destroyed).toBe(true);
  });
});
