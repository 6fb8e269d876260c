import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { EstateReloader } from '../../src/reload';
import { commandHarness, plain } from '../support/command-harness';
import { ADMIN, OPERATOR, TEST_USERS } from '../support/estate';
import { capturingLogger } from '../support/fakes';

const dir = mkdtempSync(join(tmpdir(), 'mo-reload-'));

/** The estate as a file on disk, in the shape an admin writes it. */
function estateFile(name: string, services: object[], extra: object = {}) {
  const file = join(dir, name);
  const write = (s: object[], e: object = extra) =>
    writeFileSync(
      file,
      stringify({
        version: 1,
        docker_hosts: [{ name: 'local', endpoint: 'unix:///nonexistent/docker.sock' }],
        services: s,
        users: TEST_USERS,
        chats: { alerts: [ADMIN.id], commands: [] },
        ...e,
      }),
    );
  write(services);
  return { file, write };
}

const web = { name: 'chat-web', container: 'mo-r-chat-web', category: 'web', host: 'local', checks: [{ type: 'docker' }] };
const todo = { name: 'todo-web', aliases: ['todo'], container: 'mo-r-todo-web', category: 'web', host: 'local', checks: [{ type: 'docker' }] };

describe('/reload and the estate reloader', () => {
  it('puts a changed file in force: new services answer, the checks follow, the reply says what changed', async () => {
    const { file, write } = estateFile('grow.yml', [web]);
    const h = commandHarness();
    const log = capturingLogger();
    // The harness's estate stands for the file as it was at start.
    write([web, todo], { timezone: 'Europe/Berlin' });
    const adopted: string[][] = [];
    const reloader = new EstateReloader({ file, app: h.app, prepare: (e) => e, log: log.log, adoptChecks: async (checks) => adopted.push(checks.map((c) => c.id)) });
    h.app.env.reload = (by) => reloader.reload(by);
    expect(plain(await h.say(OPERATOR.id, '/reload'))).toBe('/reload needs the admin role; you are operator.');
    const out = plain(await h.say(ADMIN.id, '/reload'));
    expect(out).toContain(`🔄 Reloaded ${file}:`);
    expect(out).toContain('• services removed: postgres, chat-backend, frozen');
    expect(out).toContain('• timezone changed');
    expect(adopted).toEqual([['chat-web:docker', 'todo-web:docker']]);
    expect(h.app.env.checkIds()).toEqual(['chat-web:docker', 'todo-web:docker']);
    expect(plain(await h.say(ADMIN.id, '/status todo'))).toContain('todo-web');
    expect(plain(await h.say(ADMIN.id, '/restart postgres'))).toContain('unknown service "postgres"');
    expect(plain(await h.say(ADMIN.id, '/silence todo 1h'))).toContain('(until 12:00 CET)');
    expect(plain(await h.say(ADMIN.id, '/reload'))).toBe(`🔄 ${file} read again: nothing changed.`);
    expect(log.lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['estate file reloaded', 'estate file reloaded: nothing changed']));
  });

  it('refuses an invalid file with its problems by service name and line; the estate in force keeps running', async () => {
    const { file, write } = estateFile('bad.yml', [web]);
    const h = commandHarness();
    const log = capturingLogger();
    const reloader = new EstateReloader({ file, app: h.app, prepare: (e) => e, log: log.log });
    h.app.env.reload = (by) => reloader.reload(by);
    write([web, { ...todo, name: 'notes-web', aliases: [], container: 'mo-r-notes', category: 'webb', depends_on: ['nope'] }]);
    const out = plain(await h.say(ADMIN.id, '/reload'));
    expect(out).toContain(`⚠️ Not reloaded: ${file} has 2 problems. The estate in force keeps running.`);
    expect(out).toMatch(/• services\[1\] \(notes-web\), line \d+: category: /);
    expect(out).toMatch(/• services\[1\] \(notes-web\), line \d+: depends_on\[0\]: unknown service "nope"/);
    expect(out).toContain('Fix the file and send /reload again.');
    // Still the harness's estate: postgres is there, notes-web never came.
    expect(plain(await h.say(ADMIN.id, '/status postgres'))).toContain('postgres');
    expect(h.app.catalog.findService('notes-web')).toBeUndefined();
    writeFileSync(file, 'services: [\n');
    expect(plain(await h.say(ADMIN.id, '/reload'))).toMatch(/Not reloaded: .* has a problem[\s\S]*• YAML: /);
    expect(log.lines.filter((l) => l.msg.startsWith('estate file not reloaded'))).toHaveLength(2);
  });

  it('refuses a change to the connections (Docker endpoints, GPU box, Cloudflare): that needs a restart', async () => {
    const { file, write } = estateFile('moved.yml', [web]);
    const h = commandHarness();
    const reloader = new EstateReloader({ file, app: h.app, prepare: (e) => e, log: capturingLogger().log });
    h.app.env.reload = (by) => reloader.reload(by);
    write([web], { docker_hosts: [{ name: 'local', endpoint: 'unix:///elsewhere/docker.sock' }] });
    const out = plain(await h.say(ADMIN.id, '/reload'));
    expect(out).toContain('• docker_hosts changed: its connections are made at start, so this needs a restart (docker compose -f docker-compose.bot.yml restart bot)');
    expect(h.app.catalog.findService('postgres')).toBeDefined();
  });

  it('two reloads at once read the file once', async () => {
    const { file, write } = estateFile('twice.yml', [web]);
    const h = commandHarness();
    let adoptions = 0;
    const reloader = new EstateReloader({ file, app: h.app, prepare: (e) => e, log: capturingLogger().log, adoptChecks: async () => adoptions++ });
    write([web, todo]);
    const [a, b] = await Promise.all([reloader.reload('SIGHUP'), reloader.reload('ada')]);
    expect(a).toBe(b);
    expect(adoptions).toBe(1);
  });
});
