import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { allowed, judge, withoutSecrets } from '../../src/proxy/docker-socket-proxy';

describe('Docker socket proxy rules', () => {
  it.each([
    ['GET', '/v1.41/containers/json?all=1'],
    ['GET', '/containers/mana-chat-web/json'],
    ['GET', '/v1.47/containers/mana-chat-web/logs?stdout=1&tail=50'],
    ['GET', '/containers/abc123/stats?stream=false'],
    ['GET', '/events?filters=%7B%7D'],
    ['GET', '/system/df'],
    ['POST', '/v1.41/containers/mana-chat-web/restart?t=10'],
    ['HEAD', '/_ping'],
  ])('lets %s %s through', (method, url) => expect(allowed(method, url)).toBe(true));

  it.each([
    ['POST', '/containers/create'],
    ['POST', '/containers/mana-chat-web/exec'],
    ['POST', '/exec/abc/start'],
    ['DELETE', '/containers/mana-chat-web'],
    ['POST', '/containers/mana-chat-web/stop'],
    ['POST', '/containers/mana-chat-web/kill'],
    ['GET', '/images/json'],
    ['POST', '/images/create'],
    ['POST', '/containers/..%2Fimages%2Fcreate/restart'],
    ['PUT', '/containers/mana-chat-web/archive'],
    ['POST', '/volumes/create'],
  ])('refuses %s %s', (method, url) => expect(allowed(method, url)).toBe(false));

  const estate = { containers: new Set(['mana-chat-web', 'mana-postgres']) };

  it('container routes only for the estate\'s containers; list, events and df for all', () => {
    expect(allowed('GET', '/containers/mana-chat-web/json', estate)).toBe(true);
    expect(judge('GET', '/containers/mana-secret-vault/json', estate)).toEqual({ ok: false, status: 403, why: 'not a container of the estate: mana-secret-vault' });
    expect(allowed('POST', '/containers/mana-secret-vault/restart?t=10', estate)).toBe(false);
    expect(allowed('GET', '/containers/json?all=1', estate)).toBe(true);
    expect(judge('GET', '/containers/mana-chat-web/json', estate)).toEqual({ ok: true, kind: 'inspect' });
  });

  it.each([
    ['/containers/mana-chat-web/restart', true],
    ['/containers/mana-chat-web/restart?t=10', true],
    ['/containers/mana-chat-web/restart?t=50', true],
    ['/containers/mana-chat-web/restart?t=51', false],
    ['/containers/mana-chat-web/restart?t=-1', false],
    ['/containers/mana-chat-web/restart?t=1e3', false],
    ['/containers/mana-chat-web/restart?signal=SIGKILL', false],
    ['/containers/mana-chat-web/restart?t=10&signal=SIGKILL', false],
    ['/containers/mana-chat-web/restart?t=10&t=20', false],
  ])('restart %s: %s', (url, ok) => expect(allowed('POST', url, estate)).toBe(ok));

  it('a malformed percent-escape is a 400, in the path and in the query', () => {
    expect(judge('GET', '/containers/%zz/json')).toMatchObject({ ok: false, status: 400 });
    expect(judge('GET', '/containers/mana-chat-web/logs?tail=%C3%28')).toMatchObject({ ok: false, status: 400 });
  });

  it('fuzzed paths and queries: never an exception, and nothing passes that is not a route the bot uses', () => {
    const routes = [/^\/_ping$/, /^\/version$/, /^\/containers\/json$/, /^\/containers\/(mana-chat-web|mana-postgres)\/(json|logs|stats|restart)$/, /^\/events$/, /^\/system\/df$/];
    const piece = fc.oneof(fc.string(), fc.constantFrom('containers', 'mana-chat-web', 'json', 'restart', 'exec', '..', '%2e%2e', '%2F', '%', '%zz', '%C3%28', 'v1.41', '?', '&', 't=5', 'signal=KILL', '#'));
    fc.assert(
      fc.property(fc.constantFrom('GET', 'POST', 'HEAD', 'PUT', 'DELETE'), fc.array(piece, { maxLength: 6 }), fc.boolean(), (method, parts, slash) => {
        const url = `${slash ? '/' : ''}${parts.join('/')}`;
        const verdict = judge(method, url, estate);
        if (!verdict.ok) return;
        const path = decodeURIComponent((url.split('?')[0] ?? '').replace(/^\/v\d+\.\d+(?=\/)/, ''));
        expect(routes.some((r) => r.test(path))).toBe(true);
        expect(path).not.toContain('..');
      }),
      { numRuns: 3000 },
    );
  });

  it('an inspect answer loses Env, Cmd, Entrypoint, Args and Path, and keeps what the bot reads', () => {
    const out = withoutSecrets({ Name: '/x', Path: 'sh', Args: ['-c', 'token=abc'], State: { Running: true }, Config: { Image: 'img', Tty: false, Env: ['DB_PASSWORD=x'], Cmd: ['--token', 'abc'], Entrypoint: ['run'] }, HostConfig: { Memory: 1 } });
    expect(out).toEqual({ Name: '/x', State: { Running: true }, Config: { Image: 'img', Tty: false }, HostConfig: { Memory: 1 } });
  });
});
