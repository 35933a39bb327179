/** Counting proxy: how many AWS requests of each kind an operation costs, counted on the wire in front of a server. */
import http from 'node:http';
import { assertLoopback } from './http';

export interface CountingProxy {
  url: string;
  /** Requests by API (`DynamoDB PutItem`, `SQS ReceiveMessage`, `SNS Publish`…) since the last reset. */
  counts(): Map<string, number>;
  reset(): void;
  close(): Promise<void>;
}

function apiOf(headers: http.IncomingHttpHeaders, body: Buffer): string {
  const target = headers['x-amz-target'];
  if (typeof target === 'string') {
    const [svc, op] = target.split('.');
    const name = svc?.startsWith('DynamoDBStreams') ? 'Streams' : svc?.startsWith('DynamoDB') ? 'DynamoDB' : svc?.startsWith('AmazonSQS') ? 'SQS' : svc;
    return `${name} ${op}`;
  }
  const action = /(?:^|&)Action=([A-Za-z]+)/.exec(body.toString('utf8'));
  return action ? `query ${action[1]}` : 'unknown';
}

/** A loopback reverse proxy to `target` that counts requests by AWS API. Adds a hop: use it to count, not to time. */
export function countingProxy(target: string): Promise<CountingProxy> {
  assertLoopback(target);
  const t = new URL(target);
  let counts = new Map<string, number>();
  const upstream = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const api = apiOf(req.headers, body);
      counts.set(api, (counts.get(api) ?? 0) + 1);
      const up = http.request(
        { agent: upstream, host: t.hostname, port: t.port, method: req.method, path: req.url, headers: { ...req.headers, host: t.host } },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      up.on('error', (err) => {
        res.writeHead(502);
        res.end(String(err));
      });
      up.end(body);
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      resolve({
        url: `http://127.0.0.1:${port}`,
        counts: () => new Map(counts),
        reset: () => {
          counts = new Map();
        },
        close: () =>
          new Promise<void>((r) => {
            upstream.destroy();
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}
