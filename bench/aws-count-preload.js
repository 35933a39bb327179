/**
 * Preloaded into the bench's own child processes (API, workers, pipeline) with
 * `NODE_OPTIONS=--require <this file>` and `BENCH_AWS_COUNT_DIR=<dir>` (bench/aws-count.ts sets both):
 * counts every AWS SDK request attempt the process makes, by client and command, plus what the bill
 * depends on (DynamoDB capacity units from item sizes, SNS payload bytes, non-empty stream and queue
 * batches), and writes the running totals to `<dir>/<pid>.json` once a second and at exit.
 *
 * It adds one middleware to each SDK client at the `deserialize` step, which runs once per attempt (inside
 * the retry middleware), so SDK retries count as the requests they are. Nothing in the app changes.
 * Plain CommonJS (no TypeScript): it loads before tsx.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const dir = process.env.BENCH_AWS_COUNT_DIR;
if (dir) {
  const { Client } = require('@smithy/core/client');
  /** @type {Record<string, number>} */
  const counts = {};
  const add = (key, n = 1) => {
    counts[key] = (counts[key] ?? 0) + n;
  };

  // DynamoDB item size: attribute names + values (strings/binary by length, numbers ~ digits/2 + 1),
  // close enough to round to DynamoDB's 1 KB (write) and 4 KB (read) units.
  const valueSize = (v) => {
    if (!v || typeof v !== 'object') return 0;
    if (v.S !== undefined) return Buffer.byteLength(v.S);
    if (v.N !== undefined) return Math.ceil(String(v.N).length / 2) + 1;
    if (v.B !== undefined) return v.B.length ?? 0;
    if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
    if (v.M) return 3 + itemSize(v.M);
    if (v.L) return 3 + v.L.reduce((a, x) => a + 1 + valueSize(x), 0);
    if (v.SS) return v.SS.reduce((a, x) => a + Buffer.byteLength(x), 0);
    if (v.NS) return v.NS.reduce((a, x) => a + Math.ceil(String(x).length / 2) + 1, 0);
    return 0;
  };
  const itemSize = (item) => Object.entries(item ?? {}).reduce((a, [k, v]) => a + Buffer.byteLength(k) + valueSize(v), 0);
  const wru = (item) => Math.max(1, Math.ceil(itemSize(item) / 1024));

  function account(client, command, input, output) {
    add(`${client} ${command}`);
    if (client === 'DynamoDB') {
      if (command === 'PutItem') add('units DynamoDB WRU', wru(input.Item));
      else if (command === 'UpdateItem' || command === 'DeleteItem') add('units DynamoDB WRU', 1);
      else if (command === 'TransactWriteItems') {
        for (const t of input.TransactItems ?? []) add('units DynamoDB WRU', 2 * (t.Put ? wru(t.Put.Item) : 1));
      } else if (command === 'BatchWriteItem') {
        for (const reqs of Object.values(input.RequestItems ?? {})) for (const r of reqs) add('units DynamoDB WRU', r.PutRequest ? wru(r.PutRequest.Item) : 1);
      } else if (command === 'Query' || command === 'Scan') {
        const bytes = (output?.Items ?? []).reduce((a, it) => a + itemSize(it), 0);
        add('units DynamoDB RRU', Math.max(1, Math.ceil(bytes / 4096)) * (input.ConsistentRead ? 1 : 0.5));
      } else if (command === 'GetItem') {
        add('units DynamoDB RRU', Math.max(1, Math.ceil(itemSize(output?.Item) / 4096)) * (input.ConsistentRead ? 1 : 0.5));
      } else if (command === 'TransactGetItems') {
        for (const r of output?.Responses ?? []) add('units DynamoDB RRU', 2 * Math.max(1, Math.ceil(itemSize(r.Item) / 4096)));
      } else if (command === 'BatchGetItem') {
        for (const items of Object.values(output?.Responses ?? {})) for (const it of items) add('units DynamoDB RRU', Math.max(1, Math.ceil(itemSize(it) / 4096)) * 0.5);
      }
    } else if (client === 'DynamoDBStreams' && command === 'GetRecords') {
      const n = output?.Records?.length ?? 0;
      if (n > 0) {
        add('batches stream (non-empty GetRecords)');
        add('records stream', n);
      }
    } else if (client === 'SNS') {
      const entries = command === 'PublishBatch' ? (input.PublishBatchRequestEntries ?? []) : command === 'Publish' ? [input] : [];
      const bytes = entries.reduce((a, e) => a + Buffer.byteLength(e.Message ?? ''), 0);
      if (entries.length) {
        add('units SNS messages', entries.length);
        add('units SNS payload bytes', bytes);
        // each 64 KB of a request's payload bills as one request
        add('units SNS publish requests', Math.max(1, Math.ceil(bytes / 65536)));
      }
    } else if (client === 'SQS' && command === 'ReceiveMessage') {
      const n = output?.Messages?.length ?? 0;
      if (n > 0) {
        add('batches queue (non-empty ReceiveMessage)');
        add('records queue', n);
      }
    }
  }

  const instrumented = new WeakSet();
  const send = Client.prototype.send;
  Client.prototype.send = function patchedSend(...args) {
    if (!instrumented.has(this)) {
      instrumented.add(this);
      this.middlewareStack.add(
        (next, context) => async (a) => {
          const client = String(context.clientName ?? 'unknown').replace(/Client$/, '');
          const command = String(context.commandName ?? 'unknown').replace(/Command$/, '');
          try {
            const res = await next(a);
            account(client, command, a.input ?? {}, res.output);
            return res;
          } catch (err) {
            account(client, command, a.input ?? {}, undefined);
            add(`errors ${client} ${command}`);
            throw err;
          }
        },
        { step: 'deserialize', name: 'benchAwsCount', priority: 'high' },
      );
    }
    return send.apply(this, args);
  };

  const file = path.join(dir, `${process.pid}.json`);
  let last = '';
  const flush = () => {
    const text = JSON.stringify(counts);
    if (text === last) return;
    last = text;
    try {
      fs.writeFileSync(`${file}.tmp`, text);
      fs.renameSync(`${file}.tmp`, file);
    } catch {
      /* the dir may be gone at the very end */
    }
  };
  setInterval(flush, 500).unref();
  process.on('exit', flush);
}
