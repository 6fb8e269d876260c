import type { Context } from 'grammy';
import type { Envelope } from '../auth/gate';

/** Where a message came from, in the terms of the authorisation gate. Never uses usernames. */
export function envelopeOf(ctx: Context): Envelope | undefined {
  const msg = ctx.editedMessage ?? ctx.message ?? ctx.channelPost ?? ctx.editedChannelPost;
  if (!msg) return undefined;
  const forwarded = 'forward_origin' in msg && msg.forward_origin !== undefined;
  return {
    userId: msg.from?.id,
    chatId: msg.chat.id,
    chatType: msg.chat.type,
    sentAt: msg.date * 1_000,
    forwarded: forwarded || ('is_automatic_forward' in msg && msg.is_automatic_forward === true),
    edited: ctx.editedMessage !== undefined || ctx.editedChannelPost !== undefined,
    ...(msg.sender_chat && { senderChatId: msg.sender_chat.id }),
  };
}

/** A button press: the pressing user, in the chat of the message that carries the button. */
export function envelopeOfPress(ctx: Context, now: number): Envelope | undefined {
  const q = ctx.callbackQuery;
  const chat = q?.message?.chat;
  if (!q || !chat) return undefined;
  return { userId: q.from.id, chatId: chat.id, chatType: chat.type, sentAt: now, forwarded: false, edited: false };
}
