// The floor: a bare grammY bot with the same runner settings as mana-ops and one /ping handler.
import { autoRetry } from '@grammyjs/auto-retry';
import { run, sequentialize } from '@grammyjs/runner';
import { Bot } from 'grammy';

const bot = new Bot(process.env.TELEGRAM_BOT_TOKEN as string, { client: { apiRoot: process.env.TELEGRAM_API_ROOT as string } });
bot.api.config.use(autoRetry({ maxRetryAttempts: 3, maxDelaySeconds: 30 }));
bot.use(sequentialize((ctx) => ctx.chat?.id.toString()));
bot.command('ping', (ctx) => ctx.reply('pong'));
await bot.init();
const handle = run(bot, { runner: { fetch: { timeout: 1 }, silent: true } });
process.stderr.write('ready\n');
process.once('SIGTERM', () => void handle.stop().then(() => process.exit(0)));
