/**
 * Telegram HTML that is safe by construction: every interpolated value is escaped unless it is already Html.
 * Commands build replies with the `html` tag; the console front-end turns Html into plain text.
 */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

type Part = Html | string | number | null | undefined | readonly Part[];

function render(part: Part): string {
  if (part === null || part === undefined) return '';
  if (part instanceof Html) return part.value;
  if (Array.isArray(part)) return part.map(render).join('');
  return escapeHtml(String(part));
}

export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? '');
  });
  return new Html(out);
}

export const text = (value: string): Html => new Html(escapeHtml(value));
export const bold = (value: Part): Html => html`<b>${value}</b>`;
export const italic = (value: Part): Html => html`<i>${value}</i>`;
export const code = (value: Part): Html => html`<code>${value}</code>`;
export const pre = (value: Part): Html => html`<pre>${value}</pre>`;
export const lines = (parts: readonly Part[]): Html => new Html(parts.map(render).join('\n'));

const ENTITIES: Record<string, string> = { '&lt;': '<', '&gt;': '>', '&quot;': '"', '&amp;': '&' };

/** The console's view of a reply: tags dropped, entities decoded. */
export function htmlToPlain(value: Html): string {
  return value.value.replace(/<[^>]+>/g, '').replace(/&(lt|gt|quot|amp);/g, (e) => ENTITIES[e] ?? e);
}
