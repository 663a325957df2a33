import { credentialsFromEnvironment, signedPostHeaders, type AwsCredentials } from './aws-signing';

export interface SecretSource {
  region: string;
  /** Defaults to the function role's credentials from the environment. */
  credentials?: AwsCredentials;
  /** Defaults to `https://secretsmanager.{region}.amazonaws.com` (tests point it elsewhere). */
  endpoint?: string;
  timeoutMs?: number;
}

/**
 * A Secrets Manager secret's SecretString: one signed GetSecretValue (JSON protocol) over fetch.
 * The payments functions and the migration job read one secret once per container; the SDK's
 * client for that single call is ~200 KB of bundle (docs/benchmarks.md, "Cold starts").
 */
export async function getSecretString(secretId: string, source: SecretSource): Promise<string> {
  const endpoint = new URL(source.endpoint ?? `https://secretsmanager.${source.region}.amazonaws.com`);
  const body = JSON.stringify({ SecretId: secretId });
  const headers = signedPostHeaders(
    { service: 'secretsmanager', region: source.region, credentials: source.credentials ?? credentialsFromEnvironment() },
    endpoint.host,
    { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'secretsmanager.GetSecretValue' },
    body,
  );
  // fetch sets Host itself, from the URL; it is signed with the same value.
  const { host: _host, ...sent } = headers;
  const response = await fetch(new URL('/', endpoint), {
    method: 'POST',
    headers: sent,
    body,
    signal: AbortSignal.timeout(source.timeoutMs ?? 3000),
  });
  const answer = (await response.json().catch(() => ({}))) as { SecretString?: string; __type?: string; message?: string; Message?: string };
  if (!response.ok) {
    const type = answer.__type?.split('#').pop() ?? `HTTP ${response.status}`;
    throw new Error(`Secrets Manager GetSecretValue of ${secretId} failed: ${type}: ${answer.message ?? answer.Message ?? ''}`);
  }
  if (typeof answer.SecretString !== 'string') throw new Error(`Secret ${secretId} has no SecretString`);
  return answer.SecretString;
}
