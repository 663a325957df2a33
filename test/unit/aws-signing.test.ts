import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Signer } from '@aws-sdk/rds-signer';
import { HttpRequest } from '@smithy/core/protocols';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { credentialsFromEnvironment, presignRootUrl, signedPostHeaders } from '#platform/aws-signing';
import { rdsAuthToken } from '#platform/db';
import { getSecretString } from '#platform/secrets';

/**
 * Our SigV4 (node:crypto, no SDK in the bundles) against the SDK's own signers, with fixed
 * credentials and a fixed clock: the same input must give byte-identical tokens and headers.
 */

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const withSession = { ...credentials, sessionToken: 'IQoJb3JpZ2luX2VjEJr//////////wEaDmFwLXNvdXRoZWFzdC0xIkcwRQIh+AbC/x=' };
const date = new Date('2026-12-03T08:15:42.000Z');

const bytes = (data: string | ArrayBuffer | ArrayBufferView) =>
  typeof data === 'string' ? data : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);

/** The SDK's Sha256 interface over node:crypto, so the official signer needs nothing else. */
class NodeSha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret ? createHmac('sha256', bytes(secret)) : createHash('sha256');
  }
  update(data: string | ArrayBuffer | ArrayBufferView) {
    this.hash.update(bytes(data));
  }
  async digest() {
    return new Uint8Array(this.hash.digest());
  }
  reset() {}
}

afterEach(() => {
  vi.useRealTimers();
});

describe('RDS IAM auth tokens', () => {
  async function officialToken(creds: typeof credentials, username: string) {
    vi.useFakeTimers({ toFake: ['Date'], now: date });
    try {
      const signer = new Signer({
        hostname: 'rental.proxy-abc.ap-southeast-1.rds.amazonaws.com',
        port: 5432,
        username,
        region: 'ap-southeast-1',
        credentials: creds,
      });
      return await signer.getAuthToken();
    } finally {
      vi.useRealTimers();
    }
  }

  it('are the token @aws-sdk/rds-signer makes, with a session token', async () => {
    const ours = rdsAuthToken({
      hostname: 'rental.proxy-abc.ap-southeast-1.rds.amazonaws.com',
      port: 5432,
      username: 'rental_app',
      region: 'ap-southeast-1',
      credentials: withSession,
      date,
    });
    expect(ours).toBe(await officialToken(withSession, 'rental_app'));
    expect(ours).toMatch(/^rental\.proxy-abc\.ap-southeast-1\.rds\.amazonaws\.com:5432\/\?Action=connect&DBUser=rental_app&/);
    expect(ours).toContain('&X-Amz-Expires=900&X-Amz-Security-Token=IQoJb3JpZ2luX2VjEJr%2F');
  });

  it('are the token @aws-sdk/rds-signer makes without a session token, for a user name that needs encoding', async () => {
    const ours = rdsAuthToken({
      hostname: 'rental.proxy-abc.ap-southeast-1.rds.amazonaws.com',
      port: 5432,
      username: "o'brien (ops)*",
      region: 'ap-southeast-1',
      credentials,
      date,
    });
    expect(ours).toBe(await officialToken(credentials, "o'brien (ops)*"));
  });

  it('change with the date, so each new connection gets a fresh one', () => {
    const at = (when: Date) => presignRootUrl({ service: 'rds-db', region: 'ap-southeast-1', credentials, date: when }, 'h:5432', [['Action', 'connect']], 900);
    expect(at(date)).not.toBe(at(new Date(date.getTime() + 1000)));
  });
});

describe('signed POSTs', () => {
  it('carry the Authorization header @smithy/signature-v4 computes for the same request', async () => {
    const body = JSON.stringify({ SecretId: 'arn:aws:secretsmanager:ap-southeast-1:123456789012:secret:stripe-AbCdEf' });
    const headers = { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'secretsmanager.GetSecretValue' };
    const ours = signedPostHeaders(
      { service: 'secretsmanager', region: 'ap-southeast-1', credentials: withSession, date },
      'secretsmanager.ap-southeast-1.amazonaws.com',
      headers,
      body,
    );

    // applyChecksum: false: x-amz-content-sha256 is an S3 header; other services need not get it.
    const official = new SignatureV4({
      service: 'secretsmanager',
      region: 'ap-southeast-1',
      credentials: withSession,
      sha256: NodeSha256,
      applyChecksum: false,
    });
    const request = new HttpRequest({
      method: 'POST',
      protocol: 'https:',
      hostname: 'secretsmanager.ap-southeast-1.amazonaws.com',
      path: '/',
      headers: { ...headers, host: 'secretsmanager.ap-southeast-1.amazonaws.com' },
      body,
    });
    const signed = await official.sign(request, { signingDate: date });
    expect(ours.authorization).toBe(signed.headers.authorization);
    expect(ours['x-amz-date']).toBe(signed.headers['x-amz-date']);
    expect(ours['x-amz-security-token']).toBe(withSession.sessionToken);
  });
});

describe('Secrets Manager GetSecretValue', () => {
  async function fakeSecretsManager(answer: (body: string) => { status: number; json: unknown }) {
    const seen: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        seen.push({ headers: request.headers, body });
        const { status, json } = answer(body);
        response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(json));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { endpoint, seen, close: () => new Promise((resolve) => server.close(resolve)) };
  }

  it('sends one signed JSON-protocol request and returns the SecretString', async () => {
    const fake = await fakeSecretsManager(() => ({ status: 200, json: { ARN: 'arn', SecretString: '{"secret_key":"sk_test_1"}' } }));
    try {
      const value = await getSecretString('arn:aws:secretsmanager:ap-southeast-1:1:secret:s', {
        region: 'ap-southeast-1',
        credentials: withSession,
        endpoint: fake.endpoint,
      });
      expect(value).toBe('{"secret_key":"sk_test_1"}');
      const [request] = fake.seen;
      expect(JSON.parse(request!.body)).toEqual({ SecretId: 'arn:aws:secretsmanager:ap-southeast-1:1:secret:s' });
      expect(request!.headers['x-amz-target']).toBe('secretsmanager.GetSecretValue');
      expect(request!.headers['x-amz-security-token']).toBe(withSession.sessionToken);
      expect(request!.headers.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/ap-southeast-1\/secretsmanager\/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, Signature=[0-9a-f]{64}$/,
      );
    } finally {
      await fake.close();
    }
  });

  it("fails with Secrets Manager's error type when the call is refused", async () => {
    const fake = await fakeSecretsManager(() => ({
      status: 400,
      json: { __type: 'com.amazonaws.secretsmanager#AccessDeniedException', message: 'not allowed' },
    }));
    try {
      await expect(getSecretString('arn:x', { region: 'ap-southeast-1', credentials, endpoint: fake.endpoint })).rejects.toThrow(
        /AccessDeniedException: not allowed/,
      );
    } finally {
      await fake.close();
    }
  });
});

describe('credentials from the environment', () => {
  it('are the Lambda runtime variables, the session token included', () => {
    expect(credentialsFromEnvironment({ AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b', AWS_SESSION_TOKEN: 'c' })).toEqual({
      accessKeyId: 'a',
      secretAccessKey: 'b',
      sessionToken: 'c',
    });
    expect(() => credentialsFromEnvironment({})).toThrow(/AWS_ACCESS_KEY_ID/);
  });
});
