import { ConfigError, loadConfig } from './config';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { eventStore, motoWorkarounds } from './runtime';

describe('config', () => {
  test('local defaults point at the local stack', () => {
    const c = loadConfig({});
    expect(c.api.port).toBe(3000);
    expect(c.temporal.address).toBe('127.0.0.1:7233');
    expect(c.aws.endpoint).toBe('http://127.0.0.1:5000');
    expect(c.mongo.uri).toBe('mongodb://127.0.0.1:27017');
    expect(c.temporal.taskQueue).toBe('reservations');
  });

  test('environment overrides the defaults', () => {
    const c = loadConfig({ PORT: '8080', TEMPORAL_ADDRESS: 'temporal:7233', AWS_ENDPOINT_URL: 'http://moto:5000' });
    expect(c.api.port).toBe(8080);
    expect(c.temporal.address).toBe('temporal:7233');
    expect(c.aws.endpoint).toBe('http://moto:5000');
  });

  test('every outbound call has a deadline by default, shorter than the API handler timeout', () => {
    const c = loadConfig({});
    expect(c.mongo.timeoutMs).toBeLessThanOrEqual(3000);
    expect(c.mongo.serverSelectionTimeoutMs).toBeLessThanOrEqual(c.mongo.timeoutMs);
    expect(c.aws.connectionTimeoutMs).toBeGreaterThan(0);
    expect(c.aws.requestTimeoutMs).toBeLessThan(c.api.handlerTimeoutMs);
    expect(c.temporal.rpcDeadlineMs).toBeLessThan(c.api.handlerTimeoutMs);
    expect(c.api.placementDeadlineMs).toBeLessThan(c.api.handlerTimeoutMs);
  });

  test('an empty AWS_ENDPOINT_URL means real AWS (no endpoint override)', () => {
    expect(loadConfig({ AWS_ENDPOINT_URL: '' }).aws.endpoint).toBeUndefined();
    expect(loadConfig({ AWS_ENDPOINT_URL: '' }).aws.dynamodbEndpoint).toBeUndefined();
  });

  test('DynamoDB: dynoxide by default, else AWS_ENDPOINT_URL, unless DYNAMODB_ENDPOINT_URL names one', () => {
    expect(loadConfig({}).aws.dynamodbEndpoint).toBe('http://127.0.0.1:8000');
    expect(loadConfig({ AWS_ENDPOINT_URL: 'http://moto:5000' }).aws.dynamodbEndpoint).toBe('http://moto:5000');
    expect(loadConfig({ AWS_ENDPOINT_URL: 'http://moto:5000', DYNAMODB_ENDPOINT_URL: 'http://dx:8000' }).aws.dynamodbEndpoint).toBe('http://dx:8000');
    expect(loadConfig({ AWS_ENDPOINT_URL: '', DYNAMODB_ENDPOINT_URL: 'http://dx:8000' }).aws.dynamodbEndpoint).toBe('http://dx:8000');
    expect(() => loadConfig({ DYNAMODB_ENDPOINT_URL: 'nope' })).toThrow(/DYNAMODB_ENDPOINT_URL/);
  });

  test("the event store's moto workarounds are on only when DynamoDB shares moto's endpoint (or when told)", () => {
    expect(motoWorkarounds(loadConfig({}))).toBe(false);
    expect(motoWorkarounds(loadConfig({ AWS_ENDPOINT_URL: 'http://127.0.0.1:5000' }))).toBe(true);
    expect(motoWorkarounds(loadConfig({ AWS_ENDPOINT_URL: '' }))).toBe(false);
    expect(motoWorkarounds(loadConfig({ DYNAMODB_MOTO_WORKAROUNDS: 'on' }))).toBe(true);
    expect(motoWorkarounds(loadConfig({ AWS_ENDPOINT_URL: 'http://127.0.0.1:5000', DYNAMODB_MOTO_WORKAROUNDS: 'off' }))).toBe(false);
  });

  test('the event store reads with Query unless configuration names moto, then by key', async () => {
    const readWith = async (env: Record<string, string>) => {
      const sent: string[] = [];
      const client = { send: async (cmd: object) => (sent.push(cmd.constructor.name), { Items: [], Responses: {} }) } as unknown as DynamoDBClient;
      await eventStore(loadConfig(env), client, 't', 'catalog').readStream('s');
      return sent;
    };
    expect(await readWith({})).toEqual(['QueryCommand']);
    expect(await readWith({ AWS_ENDPOINT_URL: '' })).toEqual(['QueryCommand']);
    expect(await readWith({ DYNAMODB_MOTO_WORKAROUNDS: 'on' })).toEqual(['BatchGetItemCommand']);
  });

  test.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['TEMPORAL_ADDRESS', 'http://x'],
    ['MONGODB_URI', 'not a url'],
    ['LOG_LEVEL', 'loud'],
    ['RESOURCE_PREFIX', 'has spaces'],
    ['AUTH_TOKEN_TTL_SECONDS', '5'],
    ['MONGODB_TIMEOUT_MS', '0'],
    ['AWS_REQUEST_TIMEOUT_MS', 'soon'],
    ['API_HANDLER_TIMEOUT_MS', '10'],
    ['AUTH_SIGNUPS_PER_IP', '0'],
  ])('an invalid %s stops start-up with a message naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });
});

describe('Temporal TLS material as PEM text (what ECS injects from a secret\'s JSON fields) or files', () => {
  const pem = (label: string) => `-----BEGIN ${label}-----\nTUlJ\n-----END ${label}-----\n`;

  it('takes the CA, certificate and key as text, and turns TLS on under auto', () => {
    const c = loadConfig({ TEMPORAL_TLS_CA: pem('CERTIFICATE'), TEMPORAL_TLS_CERT: pem('CERTIFICATE'), TEMPORAL_TLS_KEY: pem('PRIVATE KEY') });
    expect(c.temporal.tls).toEqual({ caPem: pem('CERTIFICATE'), certPem: pem('CERTIFICATE'), keyPem: pem('PRIVATE KEY') });
    expect(loadConfig({ TEMPORAL_TLS_CA: pem('CERTIFICATE') }).temporal.tls).toEqual({ caPem: pem('CERTIFICATE') });
  });

  it('an empty value is unset (an ECS secret has "" for the fields a deployment does not use)', () => {
    const c = loadConfig({ TEMPORAL_TLS_CA: '', TEMPORAL_TLS_CERT: '', TEMPORAL_TLS_KEY: '', TEMPORAL_TLS_CA_FILE: '', TEMPORAL_API_KEY: '' });
    expect(c.temporal.tls).toBeUndefined();
    expect(loadConfig({ TEMPORAL_TLS_CA: '', TEMPORAL_TLS_CA_FILE: '/ca.pem' }).temporal.tls).toEqual({ caFile: '/ca.pem' });
    expect(() => loadConfig({ TEMPORAL_TLS: 'off', TEMPORAL_TLS_CA: '', TEMPORAL_TLS_CERT: '', TEMPORAL_TLS_KEY: '' })).not.toThrow();
  });

  it.each(['CA', 'CERT', 'KEY'])('TEMPORAL_TLS_%s_FILE and its PEM twin together stop start-up, naming both', (item) => {
    const both = { [`TEMPORAL_TLS_${item}_FILE`]: '/x.pem', [`TEMPORAL_TLS_${item}`]: pem('CERTIFICATE') };
    const pair = item === 'CERT' ? { TEMPORAL_TLS_KEY_FILE: '/k.pem' } : item === 'KEY' ? { TEMPORAL_TLS_CERT_FILE: '/c.pem' } : {};
    expect(() => loadConfig({ ...both, ...pair })).toThrow(ConfigError);
    expect(() => loadConfig({ ...both, ...pair })).toThrow(`TEMPORAL_TLS_${item}_FILE and TEMPORAL_TLS_${item} are both set`);
  });

  it('a certificate and its key go together in either form', () => {
    expect(loadConfig({ TEMPORAL_TLS_CERT_FILE: '/c.pem', TEMPORAL_TLS_KEY: pem('PRIVATE KEY') }).temporal.tls).toEqual({
      certFile: '/c.pem',
      keyPem: pem('PRIVATE KEY'),
    });
    expect(loadConfig({ TEMPORAL_TLS_CERT: pem('CERTIFICATE'), TEMPORAL_TLS_KEY_FILE: '/k.pem' }).temporal.tls).toEqual({
      certPem: pem('CERTIFICATE'),
      keyFile: '/k.pem',
    });
    expect(() => loadConfig({ TEMPORAL_TLS_CERT: pem('CERTIFICATE') })).toThrow(/TEMPORAL_TLS_CERT_FILE \(or TEMPORAL_TLS_CERT\) and TEMPORAL_TLS_KEY_FILE \(or TEMPORAL_TLS_KEY\)/);
    expect(() => loadConfig({ TEMPORAL_TLS_KEY: pem('PRIVATE KEY') })).toThrow(ConfigError);
    expect(() => loadConfig({ TEMPORAL_TLS_CERT: pem('CERTIFICATE'), TEMPORAL_TLS_KEY: '' })).toThrow(ConfigError);
  });

  it.each(['CA', 'CERT', 'KEY'])('TEMPORAL_TLS_%s that is not PEM stops start-up, naming it and never showing the value', (item) => {
    const env = { TEMPORAL_TLS_CA: pem('CERTIFICATE'), TEMPORAL_TLS_CERT: pem('CERTIFICATE'), TEMPORAL_TLS_KEY: pem('PRIVATE KEY'), [`TEMPORAL_TLS_${item}`]: 's3cr3t-not-pem' };
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(`TEMPORAL_TLS_${item} must be PEM`);
    expect(() => loadConfig(env)).not.toThrow(/s3cr3t/);
  });

  it('a PEM whose line breaks arrived escaped (the two characters \\n) stops start-up, naming it', () => {
    const escaped = pem('PRIVATE KEY').replace(/\n/g, '\\n');
    expect(() => loadConfig({ TEMPORAL_TLS_CA: escaped })).toThrow(/TEMPORAL_TLS_CA has "\\n"/);
    expect(() => loadConfig({ TEMPORAL_TLS_CA: escaped })).not.toThrow(/TUlJ/);
  });

  it('TEMPORAL_TLS=off refuses PEM text too', () => {
    expect(() => loadConfig({ TEMPORAL_TLS: 'off', TEMPORAL_TLS_CA: pem('CERTIFICATE') })).toThrow(/TEMPORAL_TLS=off/);
  });
});

describe('password hash cost', () => {
  it('defaults to scrypt N=32768, r=8, p=1 and takes a power of two for N', () => {
    expect(loadConfig({}).auth.passwordHash).toEqual({ N: 32768, r: 8, p: 1 });
    expect(loadConfig({ AUTH_SCRYPT_N: '1024' }).auth.passwordHash.N).toBe(1024);
  });
  it('refuses an N that is not a power of two, or out of range, naming the variable', () => {
    expect(() => loadConfig({ AUTH_SCRYPT_N: '3000' })).toThrow(ConfigError);
    expect(() => loadConfig({ AUTH_SCRYPT_N: '3000' })).toThrow(/AUTH_SCRYPT_N/);
    expect(() => loadConfig({ AUTH_SCRYPT_N: String(2 ** 21) })).toThrow(/AUTH_SCRYPT_N/);
  });
});

describe('API_SERVICES', () => {
  const JWKS = { AUTH_JWKS_URL: 'https://auth.internal/.well-known/jwks.json' };
  it('defaults to all three services (one process, as locally)', () => {
    expect(loadConfig({}).api.services).toEqual(['catalog', 'reservation', 'auth']);
  });
  it('takes a comma list, spaces allowed', () => {
    expect(loadConfig({ API_SERVICES: 'auth' }).api.services).toEqual(['auth']);
    expect(loadConfig({ API_SERVICES: ' reservation , catalog', ...JWKS }).api.services).toEqual(['reservation', 'catalog']);
  });
  it.each([
    ['unknown name', 'catalog,payments', /API_SERVICES must list only catalog, reservation, auth.*"payments"/],
    ['wrong case', 'Catalog', /API_SERVICES must list only/],
    ['empty list', '', /API_SERVICES must name at least one/],
    ['only commas', ' , ', /API_SERVICES must name at least one/],
    ['an empty item', 'catalog,,auth', /API_SERVICES must list only/],
    ['duplicate', 'auth,catalog,auth', /API_SERVICES names auth twice/],
  ])('refuses %s, naming the variable', (_case, value, message) => {
    expect(() => loadConfig({ API_SERVICES: value, ...JWKS })).toThrow(ConfigError);
    expect(() => loadConfig({ API_SERVICES: value, ...JWKS })).toThrow(message);
  });
  it('without auth, AUTH_JWKS_URL must be set (tokens are verified with the auth service’s public keys)', () => {
    for (const env of [{ API_SERVICES: 'catalog' }, { API_SERVICES: 'catalog,reservation', AUTH_JWKS_URL: '' }]) {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(/AUTH_JWKS_URL must be set when API_SERVICES leaves out auth.*public keys/);
    }
    expect(loadConfig({ API_SERVICES: 'catalog', ...JWKS }).api.services).toEqual(['catalog']);
    // with the auth service here, its own keys verify: no URL needed
    expect(loadConfig({ API_SERVICES: 'auth,reservation' }).api.services).toEqual(['auth', 'reservation']);
  });
});

describe('TRUST_PROXY', () => {
  it('unset or empty trusts no proxy (X-Forwarded-For ignored)', () => {
    expect(loadConfig({}).api.trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '' }).api.trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '  ' }).api.trustProxy).toBe(false);
  });
  it('takes a comma list of IPs and CIDRs (v4 and v6, proxy-addr range names), spaces allowed', () => {
    expect(loadConfig({ TRUST_PROXY: '127.0.0.1' }).api.trustProxy).toEqual(['127.0.0.1']);
    expect(loadConfig({ TRUST_PROXY: ' 10.0.0.0/16, 10.1.0.0/16 ,::1, fd00::/8,uniquelocal' }).api.trustProxy).toEqual([
      '10.0.0.0/16',
      '10.1.0.0/16',
      '::1',
      'fd00::/8',
      'uniquelocal',
    ]);
  });
  it('takes a hop count', () => {
    expect(loadConfig({ TRUST_PROXY: '1' }).api.trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: '2' }).api.trustProxy).toBe(2);
  });
  it.each([
    ['trust everyone', 'true', /TRUST_PROXY must be a hop count or a comma list.*"true"/],
    ['a host name', 'alb.internal', /TRUST_PROXY must be.*not valid: "alb.internal"/],
    ['a bad address', '10.0.0.256', /not valid: "10.0.0.256"/],
    ['a v4 prefix over 32', '10.0.0.0/33', /not valid: "10.0.0.0\/33"/],
    ['a v6 prefix over 128', '::/129', /not valid: "::\/129"/],
    ['an empty prefix', '10.0.0.0/', /not valid: "10.0.0.0\/"/],
    ['an empty item', '127.0.0.1,,10.0.0.1', /not valid: ""/],
    ['zero hops', '0', /TRUST_PROXY as a hop count must be 1 to 10/],
    ['too many hops', '11', /TRUST_PROXY as a hop count must be 1 to 10/],
    ['a negative count', '-1', /TRUST_PROXY must be a hop count or/],
  ])('refuses %s, naming the variable', (_case, value, message) => {
    expect(() => loadConfig({ TRUST_PROXY: value })).toThrow(ConfigError);
    expect(() => loadConfig({ TRUST_PROXY: value })).toThrow(message);
  });
});
