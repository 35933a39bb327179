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
