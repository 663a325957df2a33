import { createPrivateKey, createSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import {
  AdminAddUserToGroupCommand,
  AdminConfirmSignUpCommand,
  AdminCreateUserCommand,
  AdminGetUserCommand,
  AdminListGroupsForUserCommand,
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  InitiateAuthCommand,
  SignUpCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { registerUser } from '#core/users/registration';
import { cognitoIdentity } from '#platform/cognito';
import { getDb } from '#platform/db';
import { endpoint } from '#platform/http';
import { defineRoute } from '#platform/route';
import { EMULATOR_CREDENTIALS } from '../../dev/emulators';
import { useApi } from '../helpers/api';
import { createAgencyAdmin, createCustomer, TEST_PASSWORD, uniqueAgency, uniqueEmail } from '../helpers/auth';
import { apiEvent, lambdaContext } from '../helpers/events';

const api = useApi();

/** An agency of its own: names and phones are unique. */
const agencyBody = () => ({ ...uniqueAgency('Kata Scooters'), address: 'Kata Rd 12', lat: 7.8206, lng: 98.2987 });

/** The SDK pointed at the emulator, as an operator (or an attacker with our client id) would call it. */
const emulator = () => new CognitoIdentityProviderClient({ endpoint: process.env.COGNITO_ENDPOINT, region: 'local', credentials: EMULATOR_CREDENTIALS });
const poolId = () => process.env.COGNITO_USER_POOL_ID!;

function decodePayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** Signs a JWT with the emulator's own private key, so only the claims we choose are wrong. */
function signWithEmulatorKey(payload: Record<string, unknown>): string {
  const require = createRequire(import.meta.url);
  const { jwk } = JSON.parse(readFileSync(require.resolve('cognito-local/lib/keys/cognitoLocal.private.json'), 'utf8')) as { jwk: object };
  const key = createPrivateKey({ key: jwk as never, format: 'jwk' });
  const header = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: 'CognitoLocal' })).toString('base64url');
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const signature = createSign('RSA-SHA256').update(`${header}.${body}`).sign(key).toString('base64url');
  return `${header}.${body}.${signature}`;
}

describe('POST /auth/register/', () => {
  // Users are made only through this endpoint: the pool refuses Cognito's public SignUp
  // (AllowAdminCreateUserOnly, asserted on the synthesised stack in test/infra). cognito-local
  // 5.3 stores that setting but does not enforce it, so no test here can show the refusal.
  it('creates a customer: 201 with the user, no agency', async () => {
    const email = uniqueEmail();
    const answer = await api.post('/auth/register/', { email, password: TEST_PASSWORD, full_name: 'Somchai', role: 'customer' });
    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({ user: { id: expect.any(String), email, full_name: 'Somchai', role: 'customer' } });
    const row = await getDb().selectFrom('users').selectAll().where('id', '=', answer.body.user.id).executeTakeFirstOrThrow();
    expect(row.role).toBe('customer');
  });

  it('creates the Cognito user with the admin API: confirmed, email not yet verified, in the role group, signing in with the chosen password', async () => {
    const email = uniqueEmail();
    const answer = await api.post('/auth/register/', { email, password: TEST_PASSWORD, full_name: 'Somchai', role: 'customer' });
    expect(answer.status).toBe(201);
    const cognito = emulator();
    const user = await cognito.send(new AdminGetUserCommand({ UserPoolId: poolId(), Username: email }));
    // CONFIRMED, not FORCE_CHANGE_PASSWORD: the password was set as permanent, no invitation pending.
    expect(user.UserStatus).toBe('CONFIRMED');
    const attributes = Object.fromEntries((user.UserAttributes ?? []).map((attribute) => [attribute.Name, attribute.Value]));
    expect(attributes).toMatchObject({ email, name: 'Somchai' });
    // Our own code proves the address (POST /auth/verify/), which then tells Cognito.
    expect(attributes.email_verified).not.toBe('true');
    const row = await getDb().selectFrom('users').select('cognito_sub').where('id', '=', answer.body.user.id).executeTakeFirstOrThrow();
    expect(row.cognito_sub).toBe(attributes.sub);
    // By the pool's own username (the sub): cognito-local resolves no email alias in this call.
    const groups = await cognito.send(new AdminListGroupsForUserCommand({ UserPoolId: poolId(), Username: user.Username! }));
    expect(groups.Groups?.map((group) => group.GroupName)).toEqual(['customers']);
    cognito.destroy();
    const signedIn = await api.post('/auth/token/', { email, password: TEST_PASSWORD });
    expect(signedIn.status).toBe(200);
    expect(decodePayload(signedIn.body.access_token).sub).toBe(row.cognito_sub);
  });

  it('creates an agency admin with their agency, one-to-one, in the same request', async () => {
    const body = agencyBody();
    const answer = await api.post('/auth/register/', {
      email: uniqueEmail(),
      password: TEST_PASSWORD,
      full_name: 'Nok',
      role: 'agency_admin',
      agency: body,
    });
    expect(answer.status).toBe(201);
    expect(answer.body.agency).toEqual({ id: expect.any(String), name: body.name });
    const agency = await getDb().selectFrom('agencies').selectAll().where('id', '=', answer.body.agency.id).executeTakeFirstOrThrow();
    expect(agency.admin_user_id).toBe(answer.body.user.id);
  });

  it('stores emails in lower case and refuses the same email in any case with 409', async () => {
    const email = uniqueEmail();
    expect((await api.post('/auth/register/', { email, password: TEST_PASSWORD, full_name: 'A', role: 'customer' })).status).toBe(201);
    const again = await api.post('/auth/register/', { email: email.toUpperCase(), password: TEST_PASSWORD, full_name: 'B', role: 'customer' });
    expect(again.status).toBe(409);
    expect(again.headers.get('content-type')).toBe('application/problem+json');
  });

  it('answers 409 when Cognito already has the email, and leaves that Cognito user in place', async () => {
    // E.g. a registration of the same email still between its Cognito step and its commit.
    const email = uniqueEmail();
    const cognito = emulator();
    const existing = await cognito.send(
      new AdminCreateUserCommand({ UserPoolId: poolId(), Username: email, MessageAction: 'SUPPRESS', UserAttributes: [{ Name: 'email', Value: email }] }),
    );
    const answer = await api.post('/auth/register/', { email, password: TEST_PASSWORD, full_name: 'A', role: 'customer' });
    expect(answer.status).toBe(409);
    expect(answer.headers.get('content-type')).toBe('application/problem+json');
    const still = await cognito.send(new AdminGetUserCommand({ UserPoolId: poolId(), Username: email }));
    expect(still.Username).toBe(existing.User!.Username);
    cognito.destroy();
    expect(await getDb().selectFrom('users').select('id').where('email', '=', email).executeTakeFirst()).toBeUndefined();
  });

  it('requires an agency for an agency admin and refuses one for a customer', async () => {
    const admin = await api.post('/auth/register/', { email: uniqueEmail(), password: TEST_PASSWORD, full_name: 'A', role: 'agency_admin' });
    expect(admin.status).toBe(400);
    expect(admin.body.errors).toContainEqual({ path: 'agency', message: expect.stringContaining('required') });
    const customer = await api.post('/auth/register/', {
      email: uniqueEmail(),
      password: TEST_PASSWORD,
      full_name: 'A',
      role: 'customer',
      agency: agencyBody(),
    });
    expect(customer.status).toBe(400);
  });

  it('says which password rule failed', async () => {
    const answer = await api.post('/auth/register/', { email: uniqueEmail(), password: 'alllowercase', full_name: 'A', role: 'customer' });
    expect(answer.status).toBe(400);
    const messages = answer.body.errors.filter((error: { path: string }) => error.path === 'password').map((error: { message: string }) => error.message);
    expect(messages).toEqual(['must contain an uppercase letter', 'must contain a digit']);
  });

  it("refuses a password that begins or ends with a blank with 400 on password (Cognito's own password pattern), creating nothing", async () => {
    for (const password of [` ${TEST_PASSWORD}`, `${TEST_PASSWORD} `]) {
      const email = uniqueEmail();
      const answer = await api.post('/auth/register/', { email, password, full_name: 'A', role: 'customer' });
      expect(answer.status).toBe(400);
      expect(answer.body.errors).toEqual([{ path: 'password', message: 'must not begin or end with a blank, nor contain a line break' }]);
      await expect(cognitoIdentity.signIn(email, password)).rejects.toMatchObject({ status: 401 });
    }
    // A blank inside is allowed, as in Cognito.
    expect((await api.post('/auth/register/', { email: uniqueEmail(), password: 'Phuket 2027', full_name: 'A', role: 'customer' })).status).toBe(201);
  });

  it('refuses unknown fields, a bad role, overlong names and malformed JSON with 400, creating nothing', async () => {
    const email = uniqueEmail();
    const cases = [
      { email, password: TEST_PASSWORD, full_name: 'A', role: 'customer', is_admin: true },
      { email, password: TEST_PASSWORD, full_name: 'A', role: 'superuser' },
      { email, password: TEST_PASSWORD, full_name: 'x'.repeat(201), role: 'customer' },
      { email: 'not-an-email', password: TEST_PASSWORD, full_name: 'A', role: 'customer' },
    ];
    for (const body of cases) expect((await api.post('/auth/register/', body)).status).toBe(400);
    expect((await api.request('POST', '/auth/register/', { rawBody: '{"email":', headers: { 'content-type': 'application/json' } })).status).toBe(400);
    expect(await getDb().selectFrom('users').select('id').where('email', '=', email).executeTakeFirst()).toBeUndefined();
    await expect(cognitoIdentity.signIn(email, TEST_PASSWORD)).rejects.toThrow();
  });

  it('removes the Cognito user again when the database step fails: no half-made account', async () => {
    const email = uniqueEmail();
    // The database refuses a 41-character phone (CHECK), after Cognito has accepted the user.
    await expect(
      registerUser(getDb(), cognitoIdentity, {
        email,
        password: TEST_PASSWORD,
        fullName: 'A',
        role: 'agency_admin',
        agency: { ...agencyBody(), phone: '1'.repeat(41) },
      }),
    ).rejects.toThrow();
    await expect(cognitoIdentity.signIn(email, TEST_PASSWORD)).rejects.toMatchObject({ status: 401 });
    expect(await getDb().selectFrom('users').select('id').where('email', '=', email).executeTakeFirst()).toBeUndefined();
    // … so the same email can register properly afterwards.
    const retry = await api.post('/auth/register/', { email, password: TEST_PASSWORD, full_name: 'A', role: 'agency_admin', agency: agencyBody() });
    expect(retry.status).toBe(201);
  });
});

describe('POST /auth/token/ and /auth/token/refresh/', () => {
  it('signs in with email and password and returns Bearer tokens', async () => {
    const user = await createCustomer();
    const answer = await api.post('/auth/token/', { email: user.email, password: user.password });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      access_token: expect.any(String),
      refresh_token: expect.any(String),
      id_token: expect.any(String),
      expires_in: expect.any(Number),
      token_type: 'Bearer',
    });
    expect(decodePayload(answer.body.access_token).token_use).toBe('access');
  });

  it('answers a wrong password and an unknown email with byte-identical 401 bodies', async () => {
    const user = await createCustomer();
    const wrongPassword = await api.post('/auth/token/', { email: user.email, password: 'Wrong-password-1' });
    const unknownEmail = await api.post('/auth/token/', { email: uniqueEmail(), password: 'Wrong-password-1' });
    expect(wrongPassword.status).toBe(401);
    expect(unknownEmail.status).toBe(401);
    expect(wrongPassword.text).toBe(unknownEmail.text);
  });

  it('refreshes: new access and id tokens that work on /me/', async () => {
    const user = await createCustomer();
    const answer = await api.post('/auth/token/refresh/', { refresh_token: user.refreshToken });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ access_token: expect.any(String), id_token: expect.any(String), expires_in: expect.any(Number), token_type: 'Bearer' });
    expect((await api.get('/me/', { token: answer.body.access_token })).status).toBe(200);
  });

  it('answers an unknown or a missing field on /auth/token/ with 400 problem+json naming the field, even with good credentials', async () => {
    const user = await createCustomer();
    const cases: Array<[Record<string, unknown>, { path: string; message: string }]> = [
      [
        { email: user.email, password: user.password, remember_me: true },
        { path: 'body', message: 'Unknown field(s): remember_me' },
      ],
      [{ email: user.email }, { path: 'password', message: expect.any(String) }],
      [{ password: user.password }, { path: 'email', message: expect.any(String) }],
    ];
    for (const [body, problem] of cases) {
      const answer = await api.post('/auth/token/', body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.headers.get('content-type')).toBe('application/problem+json');
      expect(answer.body).toMatchObject({ status: 400, errors: [problem] });
      expect(answer.text).not.toContain('access_token');
    }
  });

  it('answers an unknown or a missing field on /auth/token/refresh/ with 400 problem+json naming the field, even with a good token', async () => {
    const user = await createCustomer();
    const cases: Array<[Record<string, unknown>, { path: string; message: string }]> = [
      [
        { refresh_token: user.refreshToken, client_id: 'x' },
        { path: 'body', message: 'Unknown field(s): client_id' },
      ],
      [{}, { path: 'refresh_token', message: expect.any(String) }],
    ];
    for (const [body, problem] of cases) {
      const answer = await api.post('/auth/token/refresh/', body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.headers.get('content-type')).toBe('application/problem+json');
      expect(answer.body).toMatchObject({ status: 400, errors: [problem] });
      expect(answer.text).not.toContain('access_token');
    }
  });

  it('refuses a garbage refresh token with 401', async () => {
    expect((await api.post('/auth/token/refresh/', { refresh_token: 'not-a-token' })).status).toBe(401);
  });
});

describe('GET /me/ and who may call what', () => {
  it('shows a customer without an agency and an agency admin with theirs', async () => {
    const customer = await createCustomer();
    const me = await api.get('/me/', { token: customer.token });
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ id: customer.user.id, email: customer.email, full_name: 'Test Traveller', role: 'customer', email_verified: true });

    const admin = await createAgencyAdmin({ name: 'Chalong Cars' });
    const adminMe = await api.get('/me', { token: admin.token });
    expect(adminMe.body.agency).toEqual({ id: admin.agency!.id, name: 'Chalong Cars' });
  });

  it('answers 401 without a token, with a garbage header, or with a non-Bearer scheme', async () => {
    for (const headers of [
      {} as Record<string, string>,
      { authorization: 'Bearer' },
      { authorization: 'Bearer not.a.jwt' },
      { authorization: 'Basic dXNlcjpwYXNz' },
      { authorization: 'garbage' },
    ]) {
      const answer = await api.get('/me/', { headers });
      expect(answer.status).toBe(401);
      expect(answer.body.type).toBe('/api/v1/problems/unauthorized/');
    }
  });

  it('answers 401 for a token whose signature was tampered with', async () => {
    const user = await createCustomer();
    const [header, payload] = user.token.split('.');
    const claims = { ...decodePayload(user.token), sub: '00000000-0000-0000-0000-000000000000' };
    const forged = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${user.token.split('.')[2]}`;
    expect((await api.get('/me/', { token: forged })).status).toBe(401);
    const flipped = `${header}.${payload}.${user.token.split('.')[2]!.slice(0, -4)}AAAA`;
    expect((await api.get('/me/', { token: flipped })).status).toBe(401);
  });

  it('answers 401 for an id token where an access token is required', async () => {
    const user = await createCustomer();
    expect((await api.get('/me/', { token: user.idToken })).status).toBe(401);
  });

  it('answers 401 for an expired access token, and for one issued to another client', async () => {
    const user = await createCustomer();
    const claims = decodePayload(user.token);
    const now = Math.floor(Date.now() / 1000);
    const expired = signWithEmulatorKey({ ...claims, iat: now - 7200, exp: now - 3600 });
    expect((await api.get('/me/', { token: expired })).status).toBe(401);
    const otherClient = signWithEmulatorKey({ ...claims, client_id: 'someone-elses-client', exp: now + 600 });
    expect((await api.get('/me/', { token: otherClient })).status).toBe(401);
    // Control: the same signing with our claims is accepted, so the two refusals are about the claims.
    expect((await api.get('/me/', { token: signWithEmulatorKey({ ...claims, exp: now + 600 }) })).status).toBe(200);
  });

  it('answers 401 for a valid token of another user pool (foreign issuer)', async () => {
    const cognito = new CognitoIdentityProviderClient({ endpoint: process.env.COGNITO_ENDPOINT, region: 'local', credentials: EMULATOR_CREDENTIALS });
    const pool = await cognito.send(new CreateUserPoolCommand({ PoolName: `foreign-${Date.now()}`, UsernameAttributes: ['email'] }));
    const client = await cognito.send(
      new CreateUserPoolClientCommand({ UserPoolId: pool.UserPool!.Id!, ClientName: 'foreign', ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH'] }),
    );
    const email = uniqueEmail('foreign');
    await cognito.send(
      new SignUpCommand({
        ClientId: client.UserPoolClient!.ClientId!,
        Username: email,
        Password: TEST_PASSWORD,
        UserAttributes: [{ Name: 'email', Value: email }],
      }),
    );
    await cognito.send(new AdminConfirmSignUpCommand({ UserPoolId: pool.UserPool!.Id!, Username: email }));
    const signedIn = await cognito.send(
      new InitiateAuthCommand({
        ClientId: client.UserPoolClient!.ClientId!,
        AuthFlow: 'USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: email, PASSWORD: TEST_PASSWORD },
      }),
    );
    expect((await api.get('/me/', { token: signedIn.AuthenticationResult!.AccessToken! })).status).toBe(401);
  });

  it('answers 401 for a valid token whose user is not in our database', async () => {
    const user = await createCustomer();
    await getDb().deleteFrom('users').where('id', '=', user.user.id).execute();
    expect((await api.get('/me/', { token: user.token })).status).toBe(401);
  });

  describe('role guards declared in the route table', () => {
    const agencyOnly = defineRoute({
      method: 'GET',
      path: '/test/agency-only/',
      handler: 'test',
      access: 'agency_admin',
      database: 'read',
      summary: 'test',
      tags: [],
      responses: { 200: { description: 'ok', schema: z.object({ role: z.string() }) } },
    });
    const customerOnly = { ...agencyOnly, access: 'customer' as const };
    const agencyHandler = endpoint(agencyOnly, async ({ caller }, reply) => reply(200, { role: caller.role }));
    const customerHandler = endpoint(customerOnly, async ({ caller }, reply) => reply(200, { role: caller.role }));
    const call = (handler: typeof agencyHandler, token?: string) =>
      handler(apiEvent({ method: 'GET', path: '/api/v1/test/agency-only/', headers: token ? { authorization: `Bearer ${token}` } : {} }), lambdaContext());

    it('lets an agency admin through and answers a customer with 403 (IsAgencyAdmin)', async () => {
      const admin = await createAgencyAdmin();
      const customer = await createCustomer();
      expect((await call(agencyHandler, admin.token)).statusCode).toBe(200);
      const refused = await call(agencyHandler, customer.token);
      expect(refused.statusCode).toBe(403);
      expect(refused.headers?.['content-type']).toBe('application/problem+json');
    });

    it('lets a customer through and answers an agency admin with 403 (IsCustomer)', async () => {
      const admin = await createAgencyAdmin();
      const customer = await createCustomer();
      expect((await call(customerHandler, customer.token)).statusCode).toBe(200);
      expect((await call(customerHandler, admin.token)).statusCode).toBe(403);
    });

    it('takes the role from the database by sub, not from cognito:groups: a customer whose token says agency_admins gets 403', async () => {
      const customer = await createCustomer();
      // Someone puts the customer into agency_admins in Cognito; the fresh token carries the claim.
      const cognito = emulator();
      await cognito.send(new AdminAddUserToGroupCommand({ UserPoolId: poolId(), Username: customer.email, GroupName: 'agency_admins' }));
      cognito.destroy();
      const { accessToken } = await cognitoIdentity.signIn(customer.email, customer.password);
      expect(decodePayload(accessToken)['cognito:groups']).toContain('agency_admins');
      // Our users row still says customer, so an agency route refuses it.
      const refused = await api.get('/agency/cars/', { token: accessToken });
      expect(refused.status).toBe(403);
      expect(refused.headers.get('content-type')).toBe('application/problem+json');
      expect((await call(agencyHandler, accessToken)).statusCode).toBe(403);
    });

    it('answers anonymous callers with 401 before looking at the role', async () => {
      expect((await call(agencyHandler)).statusCode).toBe(401);
    });
  });
});
