import { describe, expect, it } from 'vitest';
import { allowed } from '../../src/proxy/docker-socket-proxy';

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
});
