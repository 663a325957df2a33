import { JwtRsaVerifier } from 'aws-jwt-verify';
import type { Jwks } from 'aws-jwt-verify/jwk';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { Kysely } from 'kysely';
import * as z from 'zod';
import type { Database } from '#core/database';
import { Forbidden, ServiceUnavailable, Unauthorized } from '#core/errors';
import { asAgencyAdmin, asCustomer, findCallerBySub, type AgencyAdminCaller, type Caller, type CustomerCaller } from '#core/users/repository';
import { defineConfig } from './config';
import { logger } from './logger';
import type { Access } from './route';

export type { AgencyAdminCaller, Caller, CustomerCaller };

/** Who a route of this access serves: nobody signed in, a customer, an agency's admin (with the agency), or any user. */
export type CallerFor<A extends Access> = A extends 'public' | 'stripe'
  ? undefined
  : A extends 'customer'
    ? CustomerCaller
    : A extends 'agency_admin'
      ? AgencyAdminCaller
      : Caller;

/** 403 for an account whose e-mail address is not verified yet, on a route that needs one. */
export class EmailNotVerified extends Forbidden {
  override readonly title: string = 'E-mail address not verified';
  override readonly slug: string = 'email-not-verified';
  constructor() {
    super(
      'Verify your e-mail address first: send the 6-digit code we e-mailed you to POST /api/v1/auth/verify/ ' +
        'as {"email", "code"}. No code, or it expired? POST /api/v1/auth/verify/resend/ with {"email"} sends a new one.',
    );
  }
}

export const cognitoConfig = defineConfig(
  'cognito',
  z.object({
    COGNITO_USER_POOL_ID: z.string().min(1),
    COGNITO_CLIENT_ID: z.string().min(1),
    // Set locally to the cognito-local emulator; unset in AWS.
    COGNITO_ENDPOINT: z.url().optional(),
    // The pool's public keys as JSON, for functions that cannot reach the internet (inside
    // the VPC without NAT). Unset: fetched from the issuer once per process.
    COGNITO_JWKS: z.string().optional(),
    AWS_REGION: z.string().default('ap-southeast-1'),
  }),
);

/** The issuer our access tokens must carry: Cognito's in AWS, the emulator's locally. */
export function cognitoIssuer(): string {
  const config = cognitoConfig();
  const base = config.COGNITO_ENDPOINT ?? `https://cognito-idp.${config.AWS_REGION}.amazonaws.com`;
  return `${base.replace(/\/$/, '')}/${config.COGNITO_USER_POOL_ID}`;
}

type Verifier = ReturnType<typeof buildVerifier>;

function buildVerifier() {
  const config = cognitoConfig();
  return JwtRsaVerifier.create({
    issuer: cognitoIssuer(),
    // Access tokens carry no `aud`; the client is checked through `client_id` below.
    audience: null,
    jwksUri: `${cognitoIssuer()}/.well-known/jwks.json`,
    customJwtCheck: ({ payload }) => {
      // API Gateway's JWT authorizer would accept an id token here; we do not.
      if (payload.token_use !== 'access') throw new Error('not an access token');
      if (payload.client_id !== config.COGNITO_CLIENT_ID) throw new Error('token issued to another client');
    },
  });
}

let verifierReady: Promise<Verifier> | undefined;

/**
 * One verifier per process with its keys cached. aws-jwt-verify refuses to fetch keys over
 * http (the emulator), so we load them ourselves, in AWS and locally alike, and cache them.
 */
function verifier(): Promise<Verifier> {
  verifierReady ??= (async () => {
    const built = buildVerifier();
    const config = cognitoConfig();
    const jwks = config.COGNITO_JWKS ? (JSON.parse(config.COGNITO_JWKS) as Jwks) : await fetchJwks(`${cognitoIssuer()}/.well-known/jwks.json`);
    built.cacheJwks(jwks);
    return built;
  })().catch((error: unknown) => {
    verifierReady = undefined; // let the next request try again
    throw error;
  });
  return verifierReady;
}

async function fetchJwks(url: string): Promise<Jwks> {
  const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
  if (!response.ok) throw new Error(`JWKS fetch failed with ${response.status}`);
  return (await response.json()) as Jwks;
}

/** Tests switch between emulator pools; production never calls this. */
export function forgetVerifier(): void {
  verifierReady = undefined;
}

function bearerToken(event: APIGatewayProxyEventV2): string {
  const header = event.headers?.authorization ?? event.headers?.Authorization;
  const match = header?.match(/^Bearer ([A-Za-z0-9._~+/=-]+)$/);
  if (!match?.[1]) throw new Unauthorized('Send an access token as `Authorization: Bearer <token>`.');
  return match[1];
}

/**
 * Decides who is calling: 401 without a valid access token of our pool and client; the user
 * and agency then come from the database by the token's `sub`, never from a group claim
 * alone (group changes reach tokens only at refresh; ownership lives in our tables).
 */
export async function authenticate<A extends Access>(
  event: APIGatewayProxyEventV2,
  access: A,
  /** The route's own database (endpoint() passes it): the caller is looked up with the route's access. */
  db: Kysely<Database> | undefined,
): Promise<CallerFor<A>> {
  if (access === 'public' || access === 'stripe') return undefined as CallerFor<A>;
  const token = bearerToken(event);
  const tokenVerifier = await verifier().catch((error: unknown) => {
    logger.error('could not load the token signing keys', { error });
    throw new ServiceUnavailable('Sign-in is temporarily unavailable. Please retry shortly.');
  });
  let sub: string;
  try {
    const payload = await tokenVerifier.verify(token);
    sub = payload.sub!;
  } catch (error) {
    logger.info('token rejected', { reason: error instanceof Error ? error.message : String(error) });
    throw new Unauthorized('The access token is missing, expired, malformed or not ours.');
  }
  if (!db) throw new Error(`A route with access ${access} must declare its database access: callers are looked up in the database`);
  const caller = await findCallerBySub(db, sub);
  if (!caller) throw new Unauthorized('This token belongs to no registered user.');
  if (access === 'signed-in') return caller as CallerFor<A>;
  const narrowed = access === 'customer' ? asCustomer(caller) : asAgencyAdmin(caller);
  if (!narrowed) throw new Forbidden(access === 'customer' ? 'Only customers can use this endpoint.' : 'Only agency admins can use this endpoint.');
  // After the role: a customer on an agency route learns it is the wrong route, not to verify.
  if (!narrowed.emailVerified) throw new EmailNotVerified();
  return narrowed as CallerFor<A>;
}
