import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from './config';
import { temporalSecurity } from './temporal';

describe('Temporal beyond the dev server: TLS and API key', () => {
  it('the local dev server: no TLS, no key', () => {
    const c = loadConfig({});
    expect(c.temporal.tls).toBeUndefined();
    expect(c.temporal.apiKey).toBeUndefined();
    expect(temporalSecurity(c)).toEqual({});
  });

  it('Temporal Cloud with an API key: TLS on with the system roots, the key sent', () => {
    const c = loadConfig({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_NAMESPACE: 'ns.acct', TEMPORAL_API_KEY: 'k-123' });
    expect(temporalSecurity(c)).toEqual({ tls: {}, apiKey: 'k-123' });
    expect(c.temporal.namespace).toBe('ns.acct');
  });

  it('a self-hosted cluster with mTLS: the CA, the client pair and the server name, read from their files', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'temporal-tls-'));
    const file = (name: string, text: string) => {
      fs.writeFileSync(path.join(dir, name), text);
      return path.join(dir, name);
    };
    const c = loadConfig({
      TEMPORAL_TLS_CA_FILE: file('ca.pem', 'CA'),
      TEMPORAL_TLS_CERT_FILE: file('client.pem', 'CRT'),
      TEMPORAL_TLS_KEY_FILE: file('client.key', 'KEY'),
      TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
    });
    const s = temporalSecurity(c);
    expect(s.apiKey).toBeUndefined();
    expect(s.tls).toMatchObject({ serverNameOverride: 'temporal.internal' });
    const tls = s.tls as { serverRootCACertificate: Buffer; clientCertPair: { crt: Buffer; key: Buffer } };
    expect([tls.serverRootCACertificate.toString(), tls.clientCertPair.crt.toString(), tls.clientCertPair.key.toString()]).toEqual(['CA', 'CRT', 'KEY']);
  });

  it('TEMPORAL_TLS=on alone uses TLS with the system roots; off refuses TLS settings', () => {
    expect(loadConfig({ TEMPORAL_TLS: 'on' }).temporal.tls).toEqual({});
    expect(() => loadConfig({ TEMPORAL_TLS: 'off', TEMPORAL_API_KEY: 'k' })).toThrow(ConfigError);
  });

  it('a client certificate without its key (or the reverse) stops start-up, naming both variables', () => {
    expect(() => loadConfig({ TEMPORAL_TLS_CERT_FILE: '/x.pem' })).toThrow(/TEMPORAL_TLS_CERT_FILE \(or TEMPORAL_TLS_CERT\) and TEMPORAL_TLS_KEY_FILE/);
    expect(() => loadConfig({ TEMPORAL_TLS_KEY_FILE: '/x.key' })).toThrow(ConfigError);
  });

  it('PEM text (as ECS injects it from a secret) is used as given, no file read', () => {
    const pem = (label: string) => `-----BEGIN ${label}-----\nTUlJ\n-----END ${label}-----\n`;
    const c = loadConfig({
      TEMPORAL_TLS_CA: pem('CERTIFICATE'),
      TEMPORAL_TLS_CERT: pem('CERTIFICATE'),
      TEMPORAL_TLS_KEY: pem('PRIVATE KEY'),
      TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
    });
    const s = temporalSecurity(c);
    const tls = s.tls as { serverNameOverride: string; serverRootCACertificate: Buffer; clientCertPair: { crt: Buffer; key: Buffer } };
    expect(tls.serverNameOverride).toBe('temporal.internal');
    expect(Buffer.isBuffer(tls.serverRootCACertificate)).toBe(true);
    expect([tls.serverRootCACertificate.toString(), tls.clientCertPair.crt.toString(), tls.clientCertPair.key.toString()]).toEqual([
      pem('CERTIFICATE'),
      pem('CERTIFICATE'),
      pem('PRIVATE KEY'),
    ]);
  });

  it('a certificate from a file and its key as text (or the reverse) make one client pair', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'temporal-tls-'));
    const key = '-----BEGIN PRIVATE KEY-----\nS0VZ\n-----END PRIVATE KEY-----\n';
    fs.writeFileSync(path.join(dir, 'client.pem'), 'CRT-FROM-FILE');
    const pair = (temporalSecurity(loadConfig({ TEMPORAL_TLS_CERT_FILE: path.join(dir, 'client.pem'), TEMPORAL_TLS_KEY: key })).tls as {
      clientCertPair: { crt: Buffer; key: Buffer };
    }).clientCertPair;
    expect([pair.crt.toString(), pair.key.toString()]).toEqual(['CRT-FROM-FILE', key]);

    const crt = '-----BEGIN CERTIFICATE-----\nQ1JU\n-----END CERTIFICATE-----\n';
    fs.writeFileSync(path.join(dir, 'client.key'), 'KEY-FROM-FILE');
    const reverse = (temporalSecurity(loadConfig({ TEMPORAL_TLS_CERT: crt, TEMPORAL_TLS_KEY_FILE: path.join(dir, 'client.key') })).tls as {
      clientCertPair: { crt: Buffer; key: Buffer };
    }).clientCertPair;
    expect([reverse.crt.toString(), reverse.key.toString()]).toEqual([crt, 'KEY-FROM-FILE']);
  });
});
