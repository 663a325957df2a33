import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceUnavailable } from '#core/errors';
import type { IdentityProvider } from '#core/users/identity';
import { registerUser, UNVERIFIED_GRACE_HOURS } from '#core/users/registration';
import { cognitoIdentity } from '#platform/cognito';
import { getDb } from '#platform/db';
import { useApi } from '../helpers/api';
import { TEST_PASSWORD, uniqueEmail } from '../helpers/auth';
import { openTransactionProbe } from '../helpers/open-transactions';

/**
 * Reclaiming a stale unverified account calls Cognito with no transaction open, and loses
 * nothing when Cognito fails: the account's rows go in one transaction that records its
 * identity for removal; the identity is removed after the commit, by its sub. Against the real
 * Cognito emulator (cognito-local), behind a wrapper that can fail its deletes and that looks
 * at PostgreSQL at every call.
 */
const api = useApi();
const db = getDb('write');
let probe: ReturnType<typeof openTransactionProbe>;

const provider = { failDeletes: false, deletesInsideTransactions: 0, deletes: [] as string[] };
const guardedIdentity: IdentityProvider = {
  ...cognitoIdentity,
  async deleteUser(emailOrSub) {
    provider.deletes.push(emailOrSub);
    provider.deletesInsideTransactions += await probe.count();
    if (provider.failDeletes) throw new Error('Cognito is unavailable (injected)');
    return cognitoIdentity.deleteUser(emailOrSub);
  },
};

beforeAll(() => {
  probe = openTransactionProbe();
});
afterAll(async () => {
  await probe.close();
});

async function staleAccount(email: string, password: string) {
  expect((await api.post('/auth/register/', { email, password, full_name: 'Squatter', role: 'customer' })).status).toBe(201);
  const user = await db.selectFrom('users').select(['id', 'cognito_sub']).where('email', '=', email).executeTakeFirstOrThrow();
  await sql`UPDATE users SET created_at = created_at - make_interval(hours => ${UNVERIFIED_GRACE_HOURS + 1}) WHERE id = ${user.id}`.execute(db);
  return user;
}

const owner = (email: string) => ({ email, password: TEST_PASSWORD, fullName: 'Owner', role: 'customer' as const });

describe('reclaiming a stale account', () => {
  it('removes the rows, then the identity by its sub, with no transaction open at the Cognito call', async () => {
    const email = uniqueEmail('reclaimed');
    const squatter = await staleAccount(email, 'Squatter-2027');
    const registered = await registerUser(db, guardedIdentity, owner(email), { preverified: true });
    expect(registered.user.id).not.toBe(squatter.id);
    expect(provider.deletes).toContain(squatter.cognito_sub);
    expect(provider.deletesInsideTransactions).toBe(0);
    await expect(cognitoIdentity.signIn(email, 'Squatter-2027')).rejects.toMatchObject({ status: 401 });
    await expect(cognitoIdentity.signIn(email, TEST_PASSWORD)).resolves.toMatchObject({ accessToken: expect.any(String) });
    expect(await db.selectFrom('identity_deletions').select('sub').where('sub', '=', squatter.cognito_sub).execute()).toEqual([]);
  });

  it('with Cognito failing: 503, the rows are gone, the identity stays recorded; the retry removes it first and registers', async () => {
    const email = uniqueEmail('retried');
    const squatter = await staleAccount(email, 'Squatter-2027');
    provider.failDeletes = true;
    try {
      await expect(registerUser(db, guardedIdentity, owner(email), { preverified: true })).rejects.toBeInstanceOf(ServiceUnavailable);
    } finally {
      provider.failDeletes = false;
    }
    expect(await db.selectFrom('users').select('id').where('id', '=', squatter.id).executeTakeFirst()).toBeUndefined();
    expect(await db.selectFrom('identity_deletions').select(['sub', 'last_error']).where('sub', '=', squatter.cognito_sub).execute()).toEqual([
      { sub: squatter.cognito_sub, last_error: 'Cognito is unavailable (injected)' },
    ]);
    // The old identity still exists (it has no account here: the API answers it 401).
    await expect(cognitoIdentity.signIn(email, 'Squatter-2027')).resolves.toMatchObject({ accessToken: expect.any(String) });

    // The retry, through the API as a person would: the recorded identity goes first.
    const retried = await api.post('/auth/register/', { email, password: TEST_PASSWORD, full_name: 'Owner', role: 'customer' });
    expect(retried.status).toBe(201);
    await expect(cognitoIdentity.signIn(email, 'Squatter-2027')).rejects.toMatchObject({ status: 401 });
    expect(await db.selectFrom('identity_deletions').select('sub').where('sub', '=', squatter.cognito_sub).execute()).toEqual([]);
    expect(provider.deletesInsideTransactions).toBe(0);
  });
});
