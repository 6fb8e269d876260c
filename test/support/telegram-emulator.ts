import busboy from 'busboy';
import { EventEmitter, once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP emulator of the Telegram Bot API, for grammY through `apiRoot`. Real long polling
 * (offset/timeout/limit), JSON and multipart bodies, Telegram-shaped errors (including HTML that does not
 * parse and "message is not modified"), injectable failures such as 429 with retry_after, and a record of
 * every call.
 */

type Json = Record<string, unknown>;

export interface TgUser {
  id: number;
  is_bot: boolean;
  first_name: string;
  username?: string;
}
export interface TgChat {
  id: number;
  type: 'private' | 'group' | 'supergroup' | 'channel';
  title?: string;
  first_name?: string;
}
export interface SentMessage {
  message_id: number;
  chat: TgChat;
  text: string;
  parse_mode?: string;
  reply_markup?: { inline_keyboard?: { text: string; callback_data?: string }[][]; force_reply?: boolean; selective?: boolean; input_field_placeholder?: string };
  /** The message this one answers (reply_parameters). */
  reply_to?: number;
  edits: number;
  document?: { file_name: string; size: number };
  /** A photo as uploaded (its caption is `text`), with its bytes and the size read from its PNG header. */
  photo?: { file_name: string; size: number; bytes: Buffer; width: number; height: number };
}
export interface ApiCall {
  method: string;
  params: Json;
  at: number;
}
interface Failure {
  error_code: number;
  description: string;
  retry_after?: number;
}

const ALLOWED_TAGS = new Set(['b', 'strong', 'i', 'em', 'u', 'ins', 's', 'strike', 'del', 'code', 'pre', 'a', 'span', 'tg-spoiler', 'blockquote', 'tg-emoji']);

/** Telegram's HTML parse mode, strictly enough to catch an unescaped `<` or `&` in a reply. */
export function checkTelegramHtml(text: string): { ok: true; plain: string } | { ok: false; error: string } {
  const stack: string[] = [];
  let plain = '';
  for (let i = 0; i < text.length; ) {
    const ch = text[i] as string;
    if (ch === '<') {
      const m = /^<(\/?)([a-z-]+)((?:\s+[a-z-]+="[^"]*")*)\s*>/i.exec(text.slice(i));
      if (!m) return { ok: false, error: `Bad Request: can't parse entities: Unsupported start tag at byte offset ${i}` };
      const [whole, closing, tag] = m as unknown as [string, string, string];
      const name = tag.toLowerCase();
      if (!ALLOWED_TAGS.has(name)) return { ok: false, error: `Bad Request: can't parse entities: Unsupported start tag "${name}" at byte offset ${i}` };
      if (closing) {
        if (stack.pop() !== name) return { ok: false, error: `Bad Request: can't parse entities: Unmatched end tag at byte offset ${i}, expected "</${stack.at(-1) ?? ''}>", found "</${name}>"` };
      } else stack.push(name);
      i += whole.length;
    } else if (ch === '&') {
      const m = /^&(lt|gt|amp|quot|#\d+|#x[0-9a-f]+);/i.exec(text.slice(i));
      if (!m) return { ok: false, error: `Bad Request: can't parse entities: Character entity expected at byte offset ${i}` };
      plain += { lt: '<', gt: '>', amp: '&', quot: '"' }[m[1] as 'lt'] ?? '?';
      i += m[0].length;
    } else {
      plain += ch;
      i++;
    }
  }
  if (stack.length) return { ok: false, error: `Bad Request: can't parse entities: Can't find end tag corresponding to start tag "${stack.at(-1)}"` };
  return { ok: true, plain };
}

class TelegramError extends Error {
  constructor(
    readonly code: number,
    readonly description: string,
    readonly retryAfter?: number,
  ) {
    super(description);
  }
}

export class TelegramEmulator {
  readonly token = '123456789:TEST-emulator-token-000000000000000';
  readonly botUser: TgUser = { id: 123456789, is_bot: true, first_name: 'mana alerts', username: 'alerts_mana_bot' };
  readonly calls: ApiCall[] = [];
  readonly messages: SentMessage[] = [];
  readonly commands = new Map<string, { command: string; description: string }[]>();
  readonly answeredQueries = new Map<string, Json>();
  /** Telegram's flood control, when set: more than `max` sends or edits to one chat within `windowMs` get a 429. */
  chatLimit: { max: number; windowMs: number } | undefined;
  readonly chatHits = new Map<number, number[]>();
  /** Telegram unreachable: every method answers 502, getUpdates included. */
  down = false;
  /**
   * Privacy mode, on by default as BotFather sets it: in groups the bot gets only commands, mentions and replies to
   * its own messages; any other text is never delivered.
   */
  privacy = true;
  /** The kind of outage under way (see outage()), if any. */
  private outageMode: 'bad-gateway' | 'refused' | 'hanging' | undefined;
  /** Requests held open while Telegram hangs: dropped, never answered, when it comes back. */
  private readonly held = new Set<ServerResponse>();
  /** Chats whose calls hang (a stuck chat), while every other chat is answered. */
  readonly hangingChats = new Set<number>();
  private port = 0;
  /** Groups upgraded to supergroups: old id -> new id, answered as Telegram does (400 with migrate_to_chat_id). */
  readonly migrated = new Map<number, number>();
  limited = 0;
  readonly limitedByChat = new Map<number, number>();
  /** Every text a chat has shown, sends and edits alike (what a reader could have seen). */
  readonly history: { chatId: number; messageId: number; text: string; at: number }[] = [];
  /** Emits 'message' with each SentMessage as soon as the bot sends it (for latency measurements). */
  readonly events = new EventEmitter();
  private readonly updates: Json[] = [];
  private nextUpdateId = 1;
  private nextMessageId = 1000;
  private nextQueryId = 1;
  private readonly waiters = new Set<() => void>();
  private readonly callWatchers = new Set<() => void>();
  private readonly failures = new Map<string, Failure[]>();
  /** After a 429 with retry_after, Telegram refuses that chat's sends until the wait is over: so does the emulator. */
  private readonly floodWaitUntil = new Map<number, number>();
  private server: Server | undefined;
  private sockets = new Set<import('node:net').Socket>();
  apiRoot = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.server.listen(this.port, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as AddressInfo).port;
    this.apiRoot = `http://127.0.0.1:${this.port}`;
    return this;
  }

  /**
   * Telegram away as it is seen in practice: `bad-gateway` answers 502 to everything, `refused` stops listening
   * (connections are refused), `hanging` takes requests and never answers them. `undefined` ends the outage:
   * held requests are dropped unanswered (nothing they asked for happened), the port listens again.
   */
  async outage(mode: 'bad-gateway' | 'refused' | 'hanging' | undefined): Promise<void> {
    const was = this.outageMode;
    this.outageMode = mode;
    this.down = mode === 'bad-gateway';
    if (mode === 'refused') {
      for (const s of this.sockets) s.destroy();
      await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
    }
    if (was === 'hanging' && mode !== 'hanging') {
      for (const res of this.held) res.destroy();
      this.held.clear();
    }
    if (was === 'refused' && mode !== 'refused') await this.start();
  }

  async stop(): Promise<void> {
    for (const w of this.waiters) w();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** The next `count` calls of `method` fail with this Telegram error (429 with retry_after, 500, …). */
  failNext(method: string, failure: Failure, count = 1): void {
    const list = this.failures.get(method) ?? [];
    for (let i = 0; i < count; i++) list.push(failure);
    this.failures.set(method, list);
  }

  /** Forgets the failures still queued by failNext. */
  clearFailures(): void {
    this.failures.clear();
  }

  // ---- what users do -------------------------------------------------------------------------------

  private pushUpdate(update: Json): number {
    const update_id = this.nextUpdateId++;
    this.updates.push({ update_id, ...update });
    for (const w of [...this.waiters]) w();
    return update_id;
  }

  /** A user sends text; in a private chat unless `chat` is given. Returns the message id. */
  sendText(from: TgUser, text: string, options: { chat?: TgChat; date?: number; extra?: Json; kind?: string } = {}): number {
    const chat = options.chat ?? { id: from.id, type: 'private', first_name: from.first_name };
    const message_id = this.nextMessageId++;
    const toBot = (options.extra?.reply_to_message as { from?: TgUser } | undefined)?.from?.id === this.botUser.id;
    const inGroup = chat.type === 'group' || chat.type === 'supergroup';
    if (this.privacy && inGroup && !text.startsWith('/') && !toBot && !text.includes(`@${this.botUser.username}`)) return message_id;
    const entities = text.startsWith('/') ? [{ type: 'bot_command', offset: 0, length: text.split(/\s/)[0]!.length }] : undefined;
    const message = {
      message_id,
      from,
      chat,
      date: options.date ?? Math.floor(Date.now() / 1000),
      text,
      ...(entities && { entities }),
      ...options.extra,
    };
    this.pushUpdate({ [options.kind ?? 'message']: message });
    return message_id;
  }

  /** A user answers one of the bot's messages (swipe to reply, or a force_reply prompt), in its chat. */
  replyTo(from: TgUser, to: SentMessage, text: string): number {
    return this.sendText(from, text, {
      chat: to.chat,
      extra: { reply_to_message: { message_id: to.message_id, from: this.botUser, chat: to.chat, date: Math.floor(Date.now() / 1000), text: to.text } },
    });
  }

  /** A user presses an inline button. Returns the callback query id. */
  press(from: TgUser, message: SentMessage, data: string): string {
    const id = String(this.nextQueryId++);
    this.pushUpdate({
      callback_query: {
        id,
        from,
        chat_instance: String(message.chat.id),
        data,
        // As Telegram sends it: the message as it is now, keyboard included.
        message: { message_id: message.message_id, chat: message.chat, date: Math.floor(Date.now() / 1000), text: message.text, from: this.botUser, ...(message.reply_markup && { reply_markup: message.reply_markup }) },
      },
    });
    return id;
  }

  // ---- what tests look at --------------------------------------------------------------------------

  /** Forgets what was sent (long benchmarks would otherwise hold every message). */
  clearRecords(): void {
    this.messages.length = 0;
    this.calls.length = 0;
  }

  messagesTo(chatId: number): SentMessage[] {
    return this.messages.filter((m) => m.chat.id === chatId);
  }

  /** Resolves once `predicate` holds over the recorded state; rejects after `timeoutMs`. */
  async waitFor<T>(predicate: () => T | undefined | false, timeoutMs = 5_000, what = 'condition'): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = predicate();
      if (value) return value;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`emulator: timed out waiting for ${what}; calls: ${this.calls.map((c) => c.method).join(', ')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, Math.min(left, 200));
        function done() {
          clearTimeout(t);
          resolve();
        }
        this.callWatchers.add(done);
      });
    }
  }

  /** Waits until the bot has sent a new message to `chatId` after `after` messages there. */
  nextMessage(chatId: number, after = this.messagesTo(chatId).length, timeoutMs = 5_000): Promise<SentMessage> {
    return this.waitFor(() => this.messagesTo(chatId)[after], timeoutMs, `a message to ${chatId}`);
  }

  /** All updates have been fetched and confirmed by the bot (its offset moved past them). */
  get pendingUpdates(): number {
    return this.updates.length;
  }

  // ---- the API -------------------------------------------------------------------------------------

  private async readBody(req: IncomingMessage): Promise<Json> {
    const type = req.headers['content-type'] ?? '';
    if (type.startsWith('multipart/form-data')) {
      return new Promise((resolve, reject) => {
        const fields: Json = {};
        const bb = busboy({ headers: req.headers });
        bb.on('field', (name, value) => {
          fields[name] = value;
        });
        bb.on('file', (name, stream, info) => {
          const chunks: Buffer[] = [];
          stream.on('data', (d: Buffer) => chunks.push(d));
          stream.on('end', () => {
            const bytes = Buffer.concat(chunks);
            fields[name] = { file_name: info.filename, size: bytes.length, bytes } as unknown as Json[string];
          });
        });
        // grammY names files by a random id and points the real field at them with attach://<id>.
        bb.on('close', () => {
          for (const [k, v] of Object.entries(fields)) {
            if (typeof v === 'string' && v.startsWith('attach://')) fields[k] = fields[v.slice('attach://'.length)];
          }
          resolve(fields);
        });
        bb.on('error', reject);
        req.pipe(bb);
      });
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    if (raw === '') return {};
    if (type.includes('json')) return JSON.parse(raw) as Json;
    return Object.fromEntries(new URLSearchParams(raw));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const m = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(req.url?.split('?')[0] ?? '');
    const reply = (status: number, body: Json) => {
      if (res.destroyed) return;
      // As the Bot API's nginx answers: a Content-Length, not a chunked body.
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (!m) return reply(404, { ok: false, error_code: 404, description: 'Not Found' });
    if (m[1] !== this.token) return reply(401, { ok: false, error_code: 401, description: 'Unauthorized' });
    const method = m[2] as string;
    let params: Json;
    try {
      params = await this.readBody(req);
    } catch {
      return reply(400, { ok: false, error_code: 400, description: 'Bad Request: invalid request body' });
    }
    this.calls.push({ method, params, at: Date.now() });
    for (const w of [...this.callWatchers]) {
      this.callWatchers.delete(w);
      w();
    }
    if (this.down) return reply(502, { ok: false, error_code: 502, description: 'Bad Gateway' });
    if (this.outageMode === 'hanging' || this.hangingChats.has(Number(params.chat_id))) {
      this.held.add(res);
      res.once('close', () => this.held.delete(res));
      return;
    }
    const sends = ['sendMessage', 'editMessageText', 'sendDocument', 'sendPhoto'].includes(method);
    const waitUntil = sends ? this.floodWaitUntil.get(Number(params.chat_id)) : undefined;
    if (waitUntil !== undefined && Date.now() < waitUntil) {
      this.limited++;
      const retry = Math.ceil((waitUntil - Date.now()) / 1000);
      return reply(429, { ok: false, error_code: 429, description: `Too Many Requests: retry after ${retry}`, parameters: { retry_after: retry } });
    }
    const failure = this.failures.get(method)?.shift();
    if (failure) {
      if (failure.error_code === 429 && failure.retry_after !== undefined && sends) this.floodWaitUntil.set(Number(params.chat_id), Date.now() + failure.retry_after * 1000);
      return reply(failure.error_code, {
        ok: false,
        error_code: failure.error_code,
        description: failure.description,
        ...(failure.retry_after !== undefined && { parameters: { retry_after: failure.retry_after } }),
      });
    }
    const movedTo = this.migrated.get(Number(params.chat_id));
    if (movedTo !== undefined && ['sendMessage', 'editMessageText', 'sendDocument', 'sendPhoto'].includes(method)) {
      return reply(400, { ok: false, error_code: 400, description: 'Bad Request: group chat was upgraded to a supergroup chat', parameters: { migrate_to_chat_id: movedTo } });
    }
    if (this.chatLimit && ['sendMessage', 'editMessageText', 'sendDocument', 'sendPhoto'].includes(method)) {
      const chat = Number(params.chat_id);
      const now = Date.now();
      const hits = (this.chatHits.get(chat) ?? []).filter((t) => now - t < (this.chatLimit as { windowMs: number }).windowMs);
      if (hits.length >= this.chatLimit.max) {
        this.limited++;
        this.limitedByChat.set(chat, (this.limitedByChat.get(chat) ?? 0) + 1);
        const retry = Math.ceil(((hits[0] as number) + this.chatLimit.windowMs - now) / 1000);
        return reply(429, { ok: false, error_code: 429, description: `Too Many Requests: retry after ${retry}`, parameters: { retry_after: retry } });
      }
      this.chatHits.set(chat, [...hits, now]);
    }
    try {
      const result = await this.dispatch(method, params, res);
      reply(200, { ok: true, result });
    } catch (err) {
      if (err instanceof TelegramError) {
        reply(err.code, {
          ok: false,
          error_code: err.code,
          description: err.description,
          ...(err.retryAfter !== undefined && { parameters: { retry_after: err.retryAfter } }),
        });
      } else reply(500, { ok: false, error_code: 500, description: `Internal Server Error: ${String(err)}` });
    }
  }

  private chatOf(chatId: unknown): TgChat {
    const id = Number(chatId);
    if (!Number.isFinite(id)) throw new TelegramError(400, 'Bad Request: chat not found');
    return { id, type: id > 0 ? 'private' : 'supergroup' };
  }

  private renderText(params: Json): string {
    const text = String(params.text ?? params.caption ?? '');
    if (text === '') throw new TelegramError(400, 'Bad Request: message text is empty');
    if (params.parse_mode === 'HTML') {
      const checked = checkTelegramHtml(text);
      if (!checked.ok) throw new TelegramError(400, checked.error);
      if (checked.plain.length > 4096) throw new TelegramError(400, 'Bad Request: message is too long');
    } else if (text.length > 4096) throw new TelegramError(400, 'Bad Request: message is too long');
    return text;
  }

  private markup(params: Json): SentMessage['reply_markup'] {
    const raw = params.reply_markup;
    const markup = (typeof raw === 'string' ? JSON.parse(raw) : raw) as SentMessage['reply_markup'];
    for (const row of markup?.inline_keyboard ?? []) {
      for (const b of row) {
        if (b.callback_data !== undefined && Buffer.byteLength(b.callback_data) > 64) {
          throw new TelegramError(400, 'Bad Request: BUTTON_DATA_INVALID');
        }
      }
    }
    return markup;
  }

  private findMessage(params: Json): SentMessage {
    const msg = this.messages.find((x) => x.chat.id === Number(params.chat_id) && x.message_id === Number(params.message_id));
    if (!msg) throw new TelegramError(400, 'Bad Request: message to edit not found');
    return msg;
  }

  private async dispatch(method: string, params: Json, res: ServerResponse): Promise<unknown> {
    switch (method) {
      case 'getMe':
        return { ...this.botUser, can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false };
      case 'deleteWebhook':
      case 'setWebhook':
      case 'sendChatAction':
        return true;
      case 'getUpdates':
        return this.getUpdates(params, res);
      case 'sendMessage': {
        const text = this.renderText(params);
        const reply_markup = this.markup(params);
        const msg: SentMessage = {
          message_id: this.nextMessageId++,
          chat: this.chatOf(params.chat_id),
          text,
          ...(typeof params.parse_mode === 'string' && { parse_mode: params.parse_mode }),
          ...(reply_markup && { reply_markup }),
          ...(typeof (params.reply_parameters as { message_id?: unknown } | undefined)?.message_id === 'number' && { reply_to: (params.reply_parameters as { message_id: number }).message_id }),
          edits: 0,
        };
        this.messages.push(msg);
        this.history.push({ chatId: msg.chat.id, messageId: msg.message_id, text, at: Date.now() });
        this.events.emit('message', msg);
        return { message_id: msg.message_id, chat: msg.chat, date: Math.floor(Date.now() / 1000), text, from: this.botUser };
      }
      case 'sendDocument': {
        const doc = params.document as { file_name: string; size: number } | undefined;
        if (!doc || typeof doc !== 'object') throw new TelegramError(400, 'Bad Request: there is no document in the request');
        const msg: SentMessage = {
          message_id: this.nextMessageId++,
          chat: this.chatOf(params.chat_id),
          text: String(params.caption ?? ''),
          document: doc,
          edits: 0,
        };
        this.messages.push(msg);
        return { message_id: msg.message_id, chat: msg.chat, date: Math.floor(Date.now() / 1000), document: { file_id: 'f', file_unique_id: 'u', ...doc } };
      }
      case 'sendPhoto': {
        const file = params.photo as { file_name: string; size: number; bytes?: Buffer } | undefined;
        if (!file || typeof file !== 'object' || !file.bytes) throw new TelegramError(400, 'Bad Request: there is no photo in the request');
        // Telegram takes PNG and JPEG up to 10 MB, width and height together at most 10,000, a ratio of at most 20.
        const png = file.bytes;
        if (png.length < 24 || png.readUInt32BE(0) !== 0x89504e47 || png.toString('ascii', 12, 16) !== 'IHDR') throw new TelegramError(400, 'Bad Request: IMAGE_PROCESS_FAILED');
        const width = png.readUInt32BE(16);
        const height = png.readUInt32BE(20);
        if (png.length > 10 * 1024 * 1024) throw new TelegramError(400, 'Bad Request: PHOTO_INVALID_DIMENSIONS');
        if (width + height > 10_000 || Math.max(width, height) / Math.max(1, Math.min(width, height)) > 20) throw new TelegramError(400, 'Bad Request: PHOTO_INVALID_DIMENSIONS');
        let caption = '';
        if (params.caption !== undefined) {
          caption = String(params.caption);
          const plain = params.parse_mode === 'HTML' ? checkTelegramHtml(caption) : { ok: true as const, plain: caption };
          if (!plain.ok) throw new TelegramError(400, plain.error);
          if (plain.plain.length > 1024) throw new TelegramError(400, 'Bad Request: message caption is too long');
        }
        const reply_markup = this.markup(params);
        const msg: SentMessage = {
          message_id: this.nextMessageId++,
          chat: this.chatOf(params.chat_id),
          text: caption,
          ...(typeof params.parse_mode === 'string' && { parse_mode: params.parse_mode }),
          ...(reply_markup && { reply_markup }),
          ...(typeof (params.reply_parameters as { message_id?: unknown } | undefined)?.message_id === 'number' && { reply_to: (params.reply_parameters as { message_id: number }).message_id }),
          photo: { file_name: file.file_name, size: file.size, bytes: png, width, height },
          edits: 0,
        };
        this.messages.push(msg);
        this.history.push({ chatId: msg.chat.id, messageId: msg.message_id, text: caption, at: Date.now() });
        this.events.emit('message', msg);
        return { message_id: msg.message_id, chat: msg.chat, date: Math.floor(Date.now() / 1000), caption, photo: [{ file_id: 'p', file_unique_id: 'pu', width, height, file_size: file.size }] };
      }
      case 'editMessageText': {
        const msg = this.findMessage(params);
        const text = this.renderText(params);
        const reply_markup = this.markup(params);
        if (text === msg.text && JSON.stringify(reply_markup) === JSON.stringify(msg.reply_markup)) {
          throw new TelegramError(400, 'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message');
        }
        msg.text = text;
        if (reply_markup) msg.reply_markup = reply_markup;
        else delete msg.reply_markup;
        msg.edits++;
        this.history.push({ chatId: msg.chat.id, messageId: msg.message_id, text, at: Date.now() });
        return { message_id: msg.message_id, chat: msg.chat, date: Math.floor(Date.now() / 1000), text };
      }
      case 'editMessageReplyMarkup': {
        const msg = this.findMessage(params);
        const reply_markup = this.markup(params);
        if (reply_markup) msg.reply_markup = reply_markup;
        else delete msg.reply_markup;
        msg.edits++;
        return true;
      }
      case 'answerCallbackQuery': {
        const id = String(params.callback_query_id);
        if (this.answeredQueries.has(id)) throw new TelegramError(400, 'Bad Request: query is too old and response timeout expired or query ID is invalid');
        this.answeredQueries.set(id, params);
        return true;
      }
      case 'setMyCommands': {
        const commands = (typeof params.commands === 'string' ? JSON.parse(params.commands) : params.commands) as { command: string; description: string }[];
        this.commands.set(JSON.stringify(params.scope ?? { type: 'default' }), commands);
        return true;
      }
      case 'deleteMyCommands':
        this.commands.delete(JSON.stringify(params.scope ?? { type: 'default' }));
        return true;
      case 'getMyCommands':
        return this.commands.get(JSON.stringify(params.scope ?? { type: 'default' })) ?? [];
      default:
        throw new TelegramError(404, 'Not Found: method not found');
    }
  }

  private async getUpdates(params: Json, res: ServerResponse): Promise<Json[]> {
    const offset = Number(params.offset ?? 0);
    const limit = Math.min(Number(params.limit ?? 100), 100);
    const timeout = Number(params.timeout ?? 0);
    // Telegram forgets every update below the offset: that is how the bot confirms them.
    while (this.updates.length && Number(this.updates[0]!.update_id) < offset) this.updates.shift();
    const pick = () => this.updates.filter((u) => Number(u.update_id) >= offset).slice(0, limit);
    let batch = pick();
    if (batch.length === 0 && timeout > 0) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.waiters.delete(done);
          res.off('close', done);
          resolve();
        };
        const timer = setTimeout(done, timeout * 1000);
        this.waiters.add(done);
        res.once('close', done); // the client gave up (the bot is stopping)
      });
      batch = pick();
    }
    return batch;
  }
}
