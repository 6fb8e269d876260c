import { z } from 'zod';
import { bold, code, html, lines } from '../util/html';
import { defineCommand } from './types';

export const reload = defineCommand({
  name: 'reload',
  summary: 'Read the estate file again and put it in force (an invalid file is refused, the old one keeps running)',
  usage: '/reload',
  role: 'admin',
  confirm: 'never',
  args: z.object({}),
  async run({ env, user }) {
    if (!env.reload) return { html: html`This bot has no estate file behind it to read again.`, failed: 'no file' };
    const result = await env.reload(user.name);
    if (!result.ok) {
      return {
        html: lines([html`⚠️ ${bold('Not reloaded')}: ${code(result.file)} has ${result.problems.length === 1 ? 'a problem' : `${result.problems.length} problems`}. The estate in force keeps running.`, ...result.problems.map((p) => html`• ${p}`), html`Fix the file and send /reload again.`]),
        failed: 'refused',
      };
    }
    if (result.changes.length === 0) return { html: html`🔄 ${code(result.file)} read again: nothing changed.` };
    return { html: lines([html`🔄 ${bold('Reloaded')} ${code(result.file)}:`, ...result.changes.map((c) => html`• ${c}`)]) };
  },
});
