import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigError, loadConfig } from './config';
import { loadConfigWithSecrets, resolveSecretEnv, secretsManagerGetter, type GetSecret } from './secrets';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:rr/mongo-AbCdEf';
const JSON_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:rr/temporal-GhIjKl';

/** A Secrets Manager in a map, counting its reads. */
function fakeSecrets(secrets: Record<string, string>): GetSecret & { reads: string[] } {
  const reads: string[] = [];
  const get = async (arn: string): Promise<string> => {
    reads.push(arn);
    const s = secrets[arn];
    if (s === undefined) throw new Error(`ResourceNotFoundException: no secret ${arn}`);
    return s;
  };
  return Object.assign(get, { reads });
}

describe('NAME_SECRET_ARN → NAME, read at cold start', () => {
  it('a plain secret becomes NAME; the rest of the environment is copied, the input left alone', async () => {
    const get = fakeSecrets({ [ARN]: 'mongodb://app:pw@db.internal:27017' });
    const env = { MONGODB_URI_SECRET_ARN: ARN, CONSUMER_NAME: 'search' };
    const out = await resolveSecretEnv(env, get);
    expect(out).toEqual({ MONGODB_URI_SECRET_ARN: ARN, CONSUMER_NAME: 'search', MONGODB_URI: 'mongodb://app:pw@db.internal:27017' });
    expect(env).toEqual({ MONGODB_URI_SECRET_ARN: ARN, CONSUMER_NAME: 'search' });
    expect(loadConfig(out).mongo.uri).toBe('mongodb://app:pw@db.internal:27017');
  });

  it('arn#field takes one field of a JSON secret, and a secret named twice is read once', async () => {
    const get = fakeSecrets({ [JSON_ARN]: JSON.stringify({ uri: 'mongodb://x:1', apiKey: 'k-1', port: 7233 }) });
    const out = await resolveSecretEnv({ MONGODB_URI_SECRET_ARN: `${JSON_ARN}#uri`, TEMPORAL_API_KEY_SECRET_ARN: `${JSON_ARN}#apiKey`, PORT_SECRET_ARN: `${JSON_ARN}#port` }, get);
    expect(out).toMatchObject({ MONGODB_URI: 'mongodb://x:1', TEMPORAL_API_KEY: 'k-1', PORT: '7233' });
    expect(get.reads).toEqual([JSON_ARN]);
  });

  it('no NAME_SECRET_ARN (or only empty ones): no read at all, the environment as it was', async () => {
    const get = fakeSecrets({});
    expect(await resolveSecretEnv({ A: '1' }, get)).toEqual({ A: '1' });
    expect(await resolveSecretEnv({ MONGODB_URI_SECRET_ARN: '' }, get)).toEqual({ MONGODB_URI_SECRET_ARN: '' });
    expect(get.reads).toEqual([]);
  });

  it('a NAME already set wins and its secret is not read; an empty NAME counts as unset', async () => {
    const get = fakeSecrets({ [ARN]: 'from-secret' });
    expect((await resolveSecretEnv({ MONGODB_URI: 'mongodb://local:27017', MONGODB_URI_SECRET_ARN: ARN }, get)).MONGODB_URI).toBe('mongodb://local:27017');
    expect(get.reads).toEqual([]);
    expect((await resolveSecretEnv({ MONGODB_URI: '', MONGODB_URI_SECRET_ARN: ARN }, get)).MONGODB_URI).toBe('from-secret');
  });

  it('a missing field names the variable and the field, never the secret', async () => {
    const get = fakeSecrets({ [JSON_ARN]: JSON.stringify({ password: 'hunter2' }) });
    const run = () => resolveSecretEnv({ MONGODB_URI_SECRET_ARN: `${JSON_ARN}#uri` }, get);
    await expect(run()).rejects.toThrow(ConfigError);
    await expect(run()).rejects.toThrow(/MONGODB_URI: .* has no field "uri"/);
    await expect(run()).rejects.not.toThrow(/hunter2/);
  });

  it('a field of a secret that is not a JSON object is an error that does not quote the secret', async () => {
    const get = fakeSecrets({ [ARN]: 'mongodb://app:hunter2@db:27017', [JSON_ARN]: '["hunter2"]' });
    await expect(resolveSecretEnv({ MONGODB_URI_SECRET_ARN: `${ARN}#uri` }, get)).rejects.toThrow(/MONGODB_URI: secret .* is not JSON/);
    await expect(resolveSecretEnv({ MONGODB_URI_SECRET_ARN: `${ARN}#uri` }, get)).rejects.not.toThrow(/hunter2/);
    await expect(resolveSecretEnv({ MONGODB_URI_SECRET_ARN: `${JSON_ARN}#uri` }, get)).rejects.toThrow(/not a JSON object/);
    const nested = fakeSecrets({ [JSON_ARN]: JSON.stringify({ uri: { password: 'hunter2' } }) });
    await expect(resolveSecretEnv({ MONGODB_URI_SECRET_ARN: `${JSON_ARN}#uri` }, nested)).rejects.toThrow(/field "uri" .* is not a string/);
    await expect(resolveSecretEnv({ MONGODB_URI_SECRET_ARN: `${JSON_ARN}#uri` }, nested)).rejects.not.toThrow(/hunter2/);
  });

  it('an empty secret is an error (an empty NAME would fall back to the local default); an empty JSON field is "not used"', async () => {
    const get = fakeSecrets({ [ARN]: '', [JSON_ARN]: JSON.stringify({ apiKey: '', tlsCert: '' }) });
    await expect(resolveSecretEnv({ MONGODB_URI_SECRET_ARN: ARN }, get)).rejects.toThrow(/MONGODB_URI: secret .* is empty/);
    const out = await resolveSecretEnv({ TEMPORAL_API_KEY_SECRET_ARN: `${JSON_ARN}#apiKey`, TEMPORAL_TLS_CERT_SECRET_ARN: `${JSON_ARN}#tlsCert` }, get);
    expect(out).toMatchObject({ TEMPORAL_API_KEY: '', TEMPORAL_TLS_CERT: '' });
    expect(loadConfig(out).temporal.apiKey).toBeUndefined();
  });

  it('loadConfigWithSecrets: the plain config when nothing names a secret (no Secrets Manager call)', async () => {
    const config = await loadConfigWithSecrets({ MONGODB_URI: 'mongodb://plain:27017', AWS_ENDPOINT_URL: 'http://127.0.0.1:9' });
    expect(config.mongo.uri).toBe('mongodb://plain:27017');
  });

  it('a secret that cannot be read is an error naming the variable and the ARN', async () => {
    await expect(resolveSecretEnv({ MONGODB_URI_SECRET_ARN: ARN }, fakeSecrets({}))).rejects.toThrow(`MONGODB_URI: could not read secret ${ARN}: ResourceNotFoundException`);
  });

  it.each([['_SECRET_ARN', ARN], ['MONGODB_URI_SECRET_ARN', `${ARN}#`], ['MONGODB_URI_SECRET_ARN', '#uri']])('a malformed %s=%s is a ConfigError naming it', async (name, value) => {
    await expect(resolveSecretEnv({ [name]: value }, fakeSecrets({}))).rejects.toThrow(ConfigError);
    await expect(resolveSecretEnv({ [name]: value }, fakeSecrets({}))).rejects.toThrow(name);
  });
});

describe('secretsManagerGetter', () => {
  const aws = loadConfig({ AWS_ENDPOINT_URL: '' }).aws;
  afterEach(() => jest.restoreAllMocks());

  it('reads SecretString by ARN with GetSecretValue', async () => {
    const send = jest.spyOn(SecretsManagerClient.prototype, 'send').mockImplementation((async (cmd: GetSecretValueCommand) => ({ SecretString: `value of ${cmd.input.SecretId}` })) as never);
    const get = secretsManagerGetter(aws);
    expect(send).not.toHaveBeenCalled();
    expect(await get(ARN)).toBe(`value of ${ARN}`);
    expect(await get(JSON_ARN)).toBe(`value of ${JSON_ARN}`);
    expect(send.mock.calls.map(([cmd]) => cmd.constructor.name)).toEqual(['GetSecretValueCommand', 'GetSecretValueCommand']);
  });

  it('a binary (or empty) secret is an error, not a value', async () => {
    jest.spyOn(SecretsManagerClient.prototype, 'send').mockImplementation((async () => ({ SecretBinary: new Uint8Array([1, 2]) })) as never);
    await expect(secretsManagerGetter(aws)(ARN)).rejects.toThrow(`secret ${ARN} has no string value (it is binary)`);
    jest.spyOn(SecretsManagerClient.prototype, 'send').mockImplementation((async () => ({})) as never);
    await expect(secretsManagerGetter(aws)(ARN)).rejects.toThrow(`secret ${ARN} has no string value`);
  });
});
