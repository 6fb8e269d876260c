import { describe, expect, it } from 'vitest';
import { commandHarness, plain } from '../support/command-harness';
import { OPERATOR, testEstate } from '../support/estate';

/** /gpu restart where the bot cannot reach the box: it says what is missing before it asks anything. */
const estate = testEstate({
  prefix: 'gpu',
  extend: (raw) => ({
    ...raw,
    gpu_box: { name: 'mana-gpu', host: '127.0.0.1', port: 2222, user: 'mana', host_key_fingerprint: 'SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU' },
    services: [...raw.services, { name: 'gpu-stt', aliases: ['stt'], host: 'gpu', windows: { scheduled_task: 'ManaSTT' }, category: 'gpu' }],
  }),
});

describe('/gpu restart without the SSH key', () => {
  it('names GPU_SSH_KEY_PATH at once, asks no confirmation, and audits it as unavailable', async () => {
    const h = commandHarness({ estate });
    const out = await h.say(OPERATOR.id, '/gpu restart stt');
    expect(out.kind).toBe('unavailable');
    expect(plain(out)).toBe('/gpu cannot run: the GPU box mana-gpu is in the estate file, but the bot has no SSH key for it.\nNext: set GPU_SSH_KEY_PATH to the private key');
    const [entry] = await h.app.env.audit.recent(1);
    expect(entry).toMatchObject({ action: 'gpu', result: 'unavailable' });
  });

  it('the overview says the same', async () => {
    const h = commandHarness({ estate });
    expect(plain(await h.say(OPERATOR.id, '/gpu'))).toContain('set GPU_SSH_KEY_PATH');
  });
});
