/**
 * Readiness probes of the local stack's servers: a real request each server answers only when it serves.
 * Used by the stack script (scripts/stack/supervise.mjs `up`, `status`) and by the tests that start servers
 * of their own (test/faults, test/persistence.int.test.ts). CommonJS for the same reason as layout.js.
 * Types: probes.d.ts.
 */
const net = require('node:net');

/**
 * One unsigned AWS JSON-protocol call (LocalStack and dynoxide check no signature; dynoxide wants a date
 * header): whether the server answers it with 2xx. False when it does not answer at all.
 */
async function awsJsonAnswers(endpoint, target, signingName, timeoutMs) {
  try {
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': target,
        'x-amz-date': '20260101T000000Z',
        authorization: `AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/${signingName}/aws4_request, SignedHeaders=host;x-amz-date, Signature=x`,
      },
      body: '{}',
      signal: AbortSignal.timeout(timeoutMs),
    });
    return res.ok;
  } catch {
    return false;
  }
}

/** A DynamoDB ListTables over HTTP (dynoxide). */
const dynamodbAnswers = (endpoint, timeoutMs = 2000) => awsJsonAnswers(endpoint, 'DynamoDB_20120810.ListTables', 'dynamodb', timeoutMs);

/** An SQS ListQueues over HTTP (JSON protocol, as SDK v3 speaks it; LocalStack). */
const sqsAnswers = (endpoint, timeoutMs = 2000) => awsJsonAnswers(endpoint, 'AmazonSQS.ListQueues', 'sqs', timeoutMs);

/** A real round trip through the Temporal dev server's UI server to its frontend service. */
async function temporalAnswers(uiPort, timeoutMs = 2000) {
  const res = await fetch(`http://127.0.0.1:${uiPort}/api/v1/namespaces/default`, { signal: AbortSignal.timeout(timeoutMs) });
  return res.ok;
}

/** A real MongoDB `ping` command over the wire (OP_MSG), without the driver (the stack runs before `npm ci`). */
function mongoPing(port) {
  const int32 = (n) => {
    const b = Buffer.alloc(4);
    b.writeInt32LE(n);
    return [...b];
  };
  const cstr = (s) => [...Buffer.from(s, 'utf8'), 0];
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    const doc = Buffer.from([
      // BSON {ping: 1, $db: "admin"}
      ...int32(0), 0x10, ...cstr('ping'), ...int32(1), 0x02, ...cstr('$db'), ...int32(6), ...cstr('admin'), 0x00,
    ]);
    doc.writeInt32LE(doc.length, 0);
    const body = Buffer.concat([Buffer.from(int32(0)), Buffer.from([0]), doc]);
    const header = Buffer.alloc(16);
    header.writeInt32LE(16 + body.length, 0);
    header.writeInt32LE(1, 4);
    header.writeInt32LE(0, 8);
    header.writeInt32LE(2013, 12);
    const done = (ok) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(2000, () => done(false));
    sock.on('error', () => done(false));
    sock.on('connect', () => sock.write(Buffer.concat([header, body])));
    sock.on('data', (d) => done(d.length > 16 && d.includes(Buffer.from('ok'))));
  });
}

/** Whether something accepts TCP connections on the loopback port. */
function portInUse(port) {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    sock.setTimeout(1000, () => {
      sock.destroy();
      resolve(false);
    });
    sock.on('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.on('error', () => resolve(false));
  });
}

module.exports = { dynamodbAnswers, sqsAnswers, temporalAnswers, mongoPing, portInUse };
