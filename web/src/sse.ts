/**
 * An incremental Server-Sent Events parser (the WHATWG event-stream format): feed it text chunks as
 * they arrive, get back the complete events. The app reads `/reservations/live` with fetch (so the
 * token goes in a header, not the URL) and parses the stream itself.
 */
export interface SseEvent {
  /** `message` when the frame names none. */
  event: string;
  data: string;
  id?: string;
  retry?: number;
}

export class SseParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];
  private id: string | undefined;
  private retry: number | undefined;

  /** The events completed by this chunk (a frame ends at a blank line; CRLF, LF and CR all end lines). */
  push(chunk: string): SseEvent[] {
    this.buffer += chunk;
    const out: SseEvent[] = [];
    for (;;) {
      const m = /\r\n|\n|\r/.exec(this.buffer);
      if (!m) break;
      // a CR at the very end may be the first half of a CRLF split across chunks: wait for the next one
      if (m[0] === '\r' && m.index === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, m.index);
      this.buffer = this.buffer.slice(m.index + m[0].length);
      const done = this.line(line);
      if (done) out.push(done);
    }
    return out;
  }

  private line(line: string): SseEvent | undefined {
    if (line === '') {
      if (this.data.length === 0) {
        this.event = '';
        return undefined;
      }
      const ev: SseEvent = { event: this.event || 'message', data: this.data.join('\n') };
      if (this.id !== undefined) ev.id = this.id;
      if (this.retry !== undefined) ev.retry = this.retry;
      this.event = '';
      this.data = [];
      this.retry = undefined;
      return ev;
    }
    if (line.startsWith(':')) return undefined; // a comment: the heartbeat
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retry = Number(value);
    return undefined;
  }

  /** The id of the last event seen, to resume from (Last-Event-ID). */
  get lastEventId(): string | undefined {
    return this.id;
  }
}
