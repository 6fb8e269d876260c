/**
 * Node's own fetch for grammY, instead of its default node-fetch@2: on some Node builds (Debian trixie's
 * 20.19.2, and 22.23 / 24.17 upstream) node-fetch@2 reports complete responses as "Premature close"
 * (nodejs/node#64098), and the bot would never get past getMe. grammY hands over the abort-controller
 * package's AbortSignal, which Node's fetch refuses; its abort is forwarded to a native one.
 */
export const nativeFetch: typeof globalThis.fetch = (input, init) => {
  // Typed as the DOM's AbortSignal, but at run time another class with the same shape.
  const foreign: Pick<AbortSignal, 'aborted' | 'addEventListener'> | null | undefined = init?.signal;
  if (!foreign || foreign instanceof AbortSignal) return globalThis.fetch(input, init);
  const controller = new AbortController();
  if (foreign.aborted) controller.abort();
  else foreign.addEventListener('abort', () => controller.abort(), { once: true });
  return globalThis.fetch(input, { ...init, signal: controller.signal });
};
