/**
 * Valid SNS/SQS FIFO ids and message text for any stream id, event id and event.
 *
 * SNS FIFO and SQS FIFO refuse a `MessageGroupId` or `MessageDeduplicationId` longer than 128 characters
 * or holding anything but alphanumerics and ASCII punctuation, and a message body or attribute with
 * characters outside XML 1.0's set. A refused entry is refused on every retry, so each of these is made
 * valid here rather than left to fail: the forwarder would otherwise retry its shard forever.
 */
import { createHash } from 'node:crypto';

const MAX_ID = 128;
/** Alphanumerics and the punctuation `!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~`, 1..128 of them. */
const VALID_ID = /^[A-Za-z0-9!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]{1,128}$/;

/**
 * The id itself when SNS/SQS accept it, else `~h:` + the SHA-256 of it (hex): stable, so one stream is
 * still one message group, and collision-free in practice. `~` never starts an id this system makes.
 */
export function fifoId(id: string): string {
  if (VALID_ID.test(id)) return id;
  const hashed = `~h:${createHash('sha256').update(id, 'utf8').digest('hex')}`;
  return hashed.length <= MAX_ID ? hashed : hashed.slice(0, MAX_ID);
}

/** The message group of a stream's events: one group per stream, always a valid id. */
export const messageGroupId = (streamId: string): string => fifoId(streamId);

/**
 * Characters SQS refuses in a message body or attribute: not #x9 | #xA | #xD | #x20-#xD7FF |
 * #xE000-#xFFFD | #x10000-#x10FFFF. The `u` flag makes a valid surrogate pair one code point, so only a
 * lone surrogate matches.
 */
const INVALID_TEXT = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

const escapeChar = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * JSON text SQS accepts, for any value: `JSON.stringify` escapes control characters and lone surrogates
 * but leaves U+FFFE and U+FFFF, which SQS refuses; written as `\uFFFE` they are still the same JSON.
 */
export function safeJson(value: unknown): string {
  return JSON.stringify(value).replace(INVALID_TEXT, escapeChar);
}

/** A string attribute value SQS accepts (attributes are informational: consumers read the body). */
export function safeText(s: string): string {
  return s.replace(INVALID_TEXT, escapeChar);
}
