import { SseParser } from './sse';

describe('SseParser', () => {
  it('reads the live stream frames: ready, a reservation with its id, heartbeats ignored', () => {
    const p = new SseParser();
    const events = p.push('event: ready\ndata: {}\n\n: ping\n\nevent: reservation\nid: c-42\ndata: {"reservationId":"r1","status":"accepted"}\n\n');
    expect(events).toEqual([
      { event: 'ready', data: '{}' },
      { event: 'reservation', id: 'c-42', data: '{"reservationId":"r1","status":"accepted"}' },
    ]);
    expect(p.lastEventId).toBe('c-42');
  });

  it('keeps a frame split across chunks (even inside a line or a CRLF) until its blank line arrives', () => {
    const p = new SseParser();
    expect(p.push('event: reser')).toEqual([]);
    expect(p.push('vation\r')).toEqual([]);
    expect(p.push('\ndata: {"a"')).toEqual([]);
    expect(p.push(':1}\r\n')).toEqual([]);
    expect(p.push('\r\n')).toEqual([{ event: 'reservation', data: '{"a":1}' }]);
  });

  it('joins multi-line data with newlines, defaults the event to message, and takes CR-only line ends', () => {
    const p = new SseParser();
    // a CR last in a chunk may be half a CRLF: the frame ends when the next chunk shows it was not
    expect(p.push('data: one\rdata:two\r\r')).toEqual([]);
    expect(p.push(': ping\r')).toEqual([{ event: 'message', data: 'one\ntwo' }]);
  });

  it('drops a frame without data and resets its event name', () => {
    const p = new SseParser();
    expect(p.push('event: reservation\n\ndata: x\n\n')).toEqual([{ event: 'message', data: 'x' }]);
  });

  it('reads retry as a number and ignores unknown fields', () => {
    const p = new SseParser();
    expect(p.push('retry: 3000\nfoo: bar\ndata\n\n')).toEqual([{ event: 'message', data: '', retry: 3000 }]);
  });
});
