import { createHash, createHmac } from 'node:crypto';

/**
 * AWS Signature Version 4 with node:crypto, for the two calls our functions make with their own
 * role outside an SDK client: an RDS IAM auth token (a presigned URL) and one Secrets Manager
 * GetSecretValue. The SDK's signer comes with its credential-provider chain, ~200 KB of
 * @smithy/@aws-sdk in every bundle (docs/benchmarks.md, "Cold starts"); a Lambda function has its
 * role's credentials in its environment already. test/unit/aws-signing.test.ts checks the output
 * against the SDK's own signer (@aws-sdk/rds-signer, @smithy/signature-v4) byte for byte.
 */

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** The function role's credentials, which the Lambda runtime puts in every function's environment. */
export function credentialsFromEnvironment(env: NodeJS.ProcessEnv = process.env): AwsCredentials {
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken } = env;
  if (!accessKeyId || !secretAccessKey) throw new Error('No AWS credentials in the environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set');
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
}

export interface SigningScope {
  service: string;
  region: string;
  credentials: AwsCredentials;
  /** Defaults to now; SigV4 keeps whole seconds. */
  date?: Date;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';

/** RFC 3986 percent-encoding, as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
const encode = (value: string) => encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const sha256Hex = (data: string) => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();
/** 20150830T123600Z */
const longDate = (date: Date) => date.toISOString().replace(/[-:]|\.\d{3}/g, '');

function credentialScope(scope: SigningScope, when: string): string {
  return `${when.slice(0, 8)}/${scope.region}/${scope.service}/aws4_request`;
}

function signature(scope: SigningScope, when: string, canonicalRequest: string): string {
  const stringToSign = [ALGORITHM, when, credentialScope(scope, when), sha256Hex(canonicalRequest)].join('\n');
  let key = hmac(`AWS4${scope.credentials.secretAccessKey}`, when.slice(0, 8));
  for (const part of [scope.region, scope.service, 'aws4_request']) key = hmac(key, part);
  return createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
}

/**
 * The canonical request of a request to the root path `/` (all we sign: RDS and the JSON-protocol
 * APIs), with every header given signed.
 */
function canonicalRequest(method: string, query: Array<[string, string]>, headers: Record<string, string>, payloadHash: string) {
  const canonicalQuery = queryString(query);
  const names = Object.keys(headers)
    .map((name) => name.toLowerCase())
    .sort();
  const byName = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value.trim().replace(/\s+/g, ' ')]));
  const canonicalHeaders = names.map((name) => `${name}:${byName[name]}\n`).join('');
  const signedHeaders = names.join(';');
  return { text: [method, '/', canonicalQuery, canonicalHeaders, signedHeaders, payloadHash].join('\n'), signedHeaders };
}

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Encoded and sorted by name, then value: the canonical form, and the order the SDK's URLs have too. */
function queryString(query: Array<[string, string]>): string {
  return query
    .map(([name, value]) => [encode(name), encode(value)] as const)
    .sort(([nameA, valueA], [nameB, valueB]) => byCodePoint(nameA, nameB) || byCodePoint(valueA, valueB))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

const EMPTY_PAYLOAD_HASH = sha256Hex('');

/**
 * A presigned GET of `https://{host}/?{query}` valid for `expiresInSeconds`, returned without
 * its scheme (what an RDS auth token is).
 */
export function presignRootUrl(scope: SigningScope, host: string, query: Array<[string, string]>, expiresInSeconds: number): string {
  const when = longDate(scope.date ?? new Date());
  const signedQuery: Array<[string, string]> = [
    ...query,
    ...(scope.credentials.sessionToken ? [['X-Amz-Security-Token', scope.credentials.sessionToken] as [string, string]] : []),
    ['X-Amz-Algorithm', ALGORITHM],
    ['X-Amz-Credential', `${scope.credentials.accessKeyId}/${credentialScope(scope, when)}`],
    ['X-Amz-Date', when],
    ['X-Amz-Expires', String(expiresInSeconds)],
    ['X-Amz-SignedHeaders', 'host'],
  ];
  const { text } = canonicalRequest('GET', signedQuery, { host }, EMPTY_PAYLOAD_HASH);
  signedQuery.push(['X-Amz-Signature', signature(scope, when, text)]);
  return `${host}/?${queryString(signedQuery)}`;
}

/**
 * The headers of a signed POST of `body` to `https://{host}/`: the given headers plus host,
 * x-amz-date, the session token and the Authorization header.
 */
export function signedPostHeaders(scope: SigningScope, host: string, headers: Record<string, string>, body: string): Record<string, string> {
  const when = longDate(scope.date ?? new Date());
  const toSign: Record<string, string> = {
    ...headers,
    host,
    'x-amz-date': when,
    ...(scope.credentials.sessionToken ? { 'x-amz-security-token': scope.credentials.sessionToken } : {}),
  };
  const { text, signedHeaders } = canonicalRequest('POST', [], toSign, sha256Hex(body));
  const authorization = `${ALGORITHM} Credential=${scope.credentials.accessKeyId}/${credentialScope(scope, when)}, SignedHeaders=${signedHeaders}, Signature=${signature(scope, when, text)}`;
  return { ...toSign, authorization };
}
