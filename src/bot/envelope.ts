import type { Context } from 'grammy';
import type { Envelope } from '../auth/gate';

/** Where a message came from, in the terms of the authorisation gate. Never uses usernames. */
export function envelopeOf(ctx: Context): Envelope | undefined {
  const msg = ctx.editedMessage ?? ctx.message ?? ctx.channelPost ?? ctx.editedChannelPost;
  if (!msg) return undefined;
  // forward_origin, and the fields older clients and Bot API versions still send.
  const legacy = msg as { forward_from?: unknown; forward_from_chat?: unknown; forward_sender_name?: unknown; forward_date?: unknown };
  const forwarded =
    ('forward_origin' in msg && msg.forward_origin !== undefined) ||
    legacy.forward_from !== undefined ||
    legacy.forward_from_chat !== undefined ||
    legacy.forward_sender_name !== undefined ||
    legacy.forward_date !== undefined;
  const fromBot = msg.from?.is_bot === true || ('via_bot' in msg && msg.via_bot !== undefined);
  return {
    userId: msg.from?.id,
    chatId: msg.chat.id,
    chatType: msg.chat.type,
    sentAt: msg.date * 1_000,
    forwarded: forwarded || ('is_automatic_forward' in msg && msg.is_automatic_forward === true),
    edited: ctx.editedMessage !== undefined || ctx.editedChannelPost !== undefined,
    ...(msg.sender_chat && { senderChatId: msg.sender_chat.id }),
    ...(fromBot && { fromBot }),
  };
}

/** A button press: the pressing user, in the chat of the message that carries the button. */
export function envelopeOfPress(ctx: Context, now: number): Envelope | undefined {
  const q = ctx.callbackQuery;
  const chat = q?.message?.chat;
  if (!q || !chat) return undefined;
  return { userId: q.from.id, chatId: chat.id, chatType: chat.type, sentAt: now, forwarded: false, edited: false, ...(q.from.is_bot && { fromBot: true }) };
}
