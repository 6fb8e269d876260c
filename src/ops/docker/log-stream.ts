import type { LogLine } from '../ports';

const MAX_LINE = 4_000; // a runaway line is cut, so one line can never hold the memory hostage

/** Splits a timestamped payload ("2026-11-27T10:00:00.123Z text") into time and text. */
function withTime(stream: LogLine['stream'], raw: string, timestamps: boolean): LogLine {
  let text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  if (timestamps) {
    const space = text.indexOf(' ');
    const at = space > 0 ? new Date(text.slice(0, space)) : undefined;
    if (at && !Number.isNaN(at.getTime())) {
      text = text.slice(space + 1);
      if (text.length > MAX_LINE) text = `${text.slice(0, MAX_LINE)}…`;
      return { stream, text, at };
    }
  }
  if (text.length > MAX_LINE) text = `${text.slice(0, MAX_LINE)}…`;
  return { stream, text };
}

/** Accumulates bytes per stream and hands out whole lines; a line may span frames. */
class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(
    private readonly stream: LogLine['stream'],
    private readonly timestamps: boolean,
  ) {}

  *push(chunk: Buffer): Generator<LogLine> {
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl);
      const line = this.pending.length ? Buffer.concat([...this.pending, piece]) : piece;
      this.pending = [];
      this.pendingBytes = 0;
      yield withTime(this.stream, line.toString('utf8'), this.timestamps);
      start = nl + 1;
    }
    if (start < chunk.length) {
      // Keep at most a little more than a line's worth of an unterminated line.
      if (this.pendingBytes < MAX_LINE * 4) {
        this.pending.push(Buffer.from(chunk.subarray(start)));
        this.pendingBytes += chunk.length - start;
      }
    }
  }

  *flush(): Generator<LogLine> {
    if (this.pendingBytes > 0) yield withTime(this.stream, Buffer.concat(this.pending).toString('utf8'), this.timestamps);
    this.pending = [];
    this.pendingBytes = 0;
  }
}

/**
 * Decodes Docker's multiplexed log stream (8-byte headers: stream type, 3 zero bytes, big-endian size)
 * into lines, holding at most one frame and one partial line at a time.
 */
export async function* demultiplex(body: AsyncIterable<Buffer>, timestamps: boolean): AsyncGenerator<LogLine> {
  const out = new LineSplitter('stdout', timestamps);
  const err = new LineSplitter('stderr', timestamps);
  let buffer: Buffer = Buffer.alloc(0);
  for await (const chunk of body) {
    buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
    let offset = 0;
    while (buffer.length - offset >= 8) {
      const size = buffer.readUInt32BE(offset + 4);
      if (buffer.length - offset - 8 < size) break;
      const payload = buffer.subarray(offset + 8, offset + 8 + size);
      yield* (buffer[offset] === 2 ? err : out).push(payload);
      offset += 8 + size;
    }
    buffer = offset ? buffer.subarray(offset) : buffer;
  }
  yield* out.flush();
  yield* err.flush();
}

/** A TTY container's log is the raw byte stream, all of it stdout. */
export async function* rawLines(body: AsyncIterable<Buffer>, timestamps: boolean): AsyncGenerator<LogLine> {
  const out = new LineSplitter('stdout', timestamps);
  for await (const chunk of body) yield* out.push(chunk);
  yield* out.flush();
}
