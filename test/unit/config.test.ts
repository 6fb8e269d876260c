import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadEstateFile, parseEstate, readEnv } from '../../src/config/load';

const minimal = (services: string) => `
version: 1
docker_hosts: [{ name: mac-mini, endpoint: "unix:///var/run/docker.sock" }]
users: [{ id: 1, name: a, role: admin }]
services:
${services}
`;

function problems(yaml: string): string[] {
  try {
    parseEstate(yaml, 'estate.yml');
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('estate file', () => {
  it('loads the example estate: every tunnel, GPU service and the handbook ports', async () => {
    const estate = await loadEstateFile('config/estate.example.yml');
    const names = estate.services.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['chat-web', 'postgres', 'redis', 'auth', 'gpu-stt', 'gpu-tts', 'gpu-img', 'gpu-llm', 'gpu-video', 'gpu-ollama', 'gpu-cloudflared']));
    expect(estate.tunnels.find((t) => t.name === 'mana-gpu-server')?.uuid).toBe('83454e8e-d7f5-4954-b2cb-0307c2dba7a6');
    expect(estate.services.find((s) => s.name === 'chat-web')).toMatchObject({ port: 3000, container: 'mana-chat-web' });
    expect(estate.services.find((s) => s.name === 'gpu-stt')?.windows).toEqual({ scheduled_task: 'ManaSTT' });
    expect(estate.policy.confirm_ttl).toBe(120_000);
  });

  it('names each problem by its path, the entry by its name and the line, one line each', () => {
    const out = problems(
      minimal(`
  - { name: chat-web, container: mana-chat-web, category: web }
  - { name: a, container: x, category: web }
  - { name: b, container: y, category: web }
  - name: c
    container: z
    category: web
    checks: [{ type: http, url: "not a url" }]
    depends_on: [nope]
  - { name: chat-web, container: w, category: sometimes }`),
    );
    expect(out).toContain('services[3] (c), line 13: checks[0].url: invalid URL');
    expect(out).toContain('services[3] (c), line 14: depends_on[0]: unknown service "nope"');
    expect(out.some((p) => p.startsWith('services[4] (chat-web), line 15: category:'))).toBe(true);
  });

  it('refuses unknown keys, duplicate names and missing users', () => {
    const out = problems(`
version: 1
docker_hosts: [{ name: mac-mini, endpoint: "unix:///var/run/docker.sock" }]
users: []
services:
  - { name: chat-web, container: a, category: web, restart_policy: always }
  - { name: chat, container: b, category: web, aliases: [chat-web] }`);
    expect(out).toContain('services[0] (chat-web), line 6: unknown key(s): restart_policy');
    expect(out.some((p) => /services\[1\] \(chat\), line 7: aliases: "chat-web" is already used by services\[0\]/.test(p))).toBe(true);
    expect(out.some((p) => p.startsWith('users, line 4:') && p.includes('/whoami'))).toBe(true);
  });

  it('reports YAML syntax errors without a stack trace', () => {
    const out = problems('version: 1\nservices: [\n');
    expect(out[0]).toMatch(/^YAML: /);
  });

  it('says which file is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mo-cfg-'));
    await expect(loadEstateFile(join(dir, 'none.yml'))).rejects.toMatchObject({ problems: [expect.stringMatching(/file not found.*ESTATE_FILE/)] });
    writeFileSync(join(dir, 'bad.yml'), 'version: 2');
    await expect(loadEstateFile(join(dir, 'bad.yml'))).rejects.toBeInstanceOf(ConfigError);
  });

  it('takes secrets from the environment and checks their shape', () => {
    expect(readEnv({ TELEGRAM_BOT_TOKEN: '123:abcdefghijklmnopqrstuvwxyz', REDIS_URL: 'redis://127.0.0.1:6379' })).toMatchObject({
      ESTATE_FILE: 'config/estate.example.yml',
      MANA_OPS_MODE: 'auto',
    });
    expect(() => readEnv({ TELEGRAM_BOT_TOKEN: 'nope' })).toThrow(/TELEGRAM_BOT_TOKEN: does not look like a BotFather token/);
    expect(() => readEnv({ TELEGRAM_API_ROOT: 'not a url' })).toThrow(/TELEGRAM_API_ROOT: invalid URL/);
  });
});
