/** One message of an alert in one chat, and the text it shows now (kept in the alert records in Redis). */
export interface Told {
  chatId: number;
  messageId: number;
  /** Page of a multi-message digest; 0 for a single message. */
  page?: number;
  shown?: string;
}
