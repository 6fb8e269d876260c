import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { estateReference } from '../../src/config/reference';

describe('estate file reference', () => {
  it('docs/estate-reference.md is what the schema says (run npm run docs:estate after changing it)', () => {
    expect(readFileSync('docs/estate-reference.md', 'utf8')).toBe(estateReference());
  });

  it('names every top-level key and the nested ones an admin edits most', () => {
    const ref = estateReference();
    for (const key of ['docker_hosts[].endpoint', 'gpu_box.host_key_fingerprint', 'services[].restart.role', 'services[].checks[].url', 'policy.max_command_age', 'maintenance[].from', 'users[].role']) {
      expect(ref).toContain(`\`${key}\``);
    }
  });
});
