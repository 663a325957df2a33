import { AdminGetUserCommand, CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { drainOutbox } from '#core/notifications/delivery';
import { UNVERIFIED_GRACE_HOURS } from '#core/users/registration';
import { hashCode } from '#core/users/verification';
import { cognitoIdentity } from '#platform/cognito';
import { getDb } from '#platform/db';
import { notificationSender } from '#platform/notifications';
import { EMULATOR_CREDENTIALS } from '../../dev/emulators';
import { useApi } from '../helpers/api';
import { createAgencyAdmin, TEST_PASSWORD, uniqueAgency, uniqueEmail } from '../helpers/auth';
import { book } from '../helpers/bookings';
import { bangkokDate, carBody, createCarFor } from '../helpers/cars';
import { sentMailTo, verificationCodeMailedTo } from '../helpers/mail';

/**
 * A new account proves its e-mail address with a 6-digit code before it may book or list cars
 * (the API contract, Auth). The code travels like every other e-mail: outbox → SES (here its emulator,
 * whose store the tests read as a person reads their inbox).
 */

const api = useApi();
const db = getDb();

const deliver = () => drainOutbox(db, notificationSender());

const registerCustomer = (email: string, password = TEST_PASSWORD) =>
  api.post('/auth/register/', { email, password, full_name: 'Mali Suksan', role: 'customer' });

const agencyBody = (overrides: Record<string, unknown> = {}) => ({
  ...uniqueAgency('Surin Rides'),
  address: 'Surin Beach Rd',
  lat: 7.975,
  lng: 98.279,
  ...overrides,
});

const registerAgency = (email: string, agency: Record<string, unknown> = agencyBody()) =>
  api.post('/auth/register/', { email, password: TEST_PASSWORD, full_name: 'Nok', role: 'agency_admin', agency });

async function signIn(email: string, password = TEST_PASSWORD): Promise<string> {
  const answer = await api.post('/auth/token/', { email, password });
  expect(answer.status).toBe(200);
  return answer.body.access_token;
}

/** Registers, delivers the outbox, and reads the code from the SES emulator. */
async function registeredWithCode(email: string): Promise<string> {
  expect((await registerCustomer(email)).status).toBe(201);
  await deliver();
  const code = await verificationCodeMailedTo(email);
  expect(code).toMatch(/^\d{6}$/);
  return code!;
}

/** A six-digit code that is not this one. */
const another = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

/** Moves an account's registration (and its codes) back in time. */
async function age(email: string, hours: number): Promise<void> {
  const user = await db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirstOrThrow();
  await sql`UPDATE users SET created_at = created_at - make_interval(hours => ${hours}) WHERE id = ${user.id}`.execute(db);
  await sql`UPDATE verification_codes SET created_at = created_at - make_interval(hours => ${hours}) WHERE user_id = ${user.id}`.execute(db);
}

describe('a new account proves its address before it may book or list cars', () => {
  it('register → the code arrives by e-mail → booking is 403 until the code is sent back → then it books', async () => {
    const agency = await createAgencyAdmin();
    const car = await createCarFor(api, agency.token, { is_published: true });
    const email = uniqueEmail('mali');
    const code = await registeredWithCode(email);
    const [mail] = await sentMailTo(email);
    expect(mail).toMatchObject({ from: process.env.EMAIL_FROM, subject: 'Your Phuket Rental verification code' });
    expect(mail!.body.text).toContain('valid for 30 minutes');

    // Signing in works unverified, and /me/ says what is missing …
    const token = await signIn(email);
    expect((await api.get('/me/', { token })).body).toMatchObject({ email, email_verified: false });
    // … but booking is refused, with what to do about it.
    const refused = await book(api, token, { car_id: car.id, start_date: bangkokDate(10), end_date: bangkokDate(11) });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(refused.body).toMatchObject({ type: '/api/v1/problems/email-not-verified/', status: 403 });
    expect(refused.body.detail).toContain('POST /api/v1/auth/verify/');
    expect(refused.body.detail).toContain('/auth/verify/resend/');
    expect(await db.selectFrom('reservations').select('id').where('car_id', '=', car.id).execute()).toEqual([]);

    const verified = await api.post('/auth/verify/', { email: email.toUpperCase(), code });
    expect(verified.status).toBe(200);
    expect(verified.body).toEqual({ user: { id: expect.any(String), email, full_name: 'Mali Suksan', role: 'customer' } });
    expect((await api.get('/me/', { token })).body.email_verified).toBe(true);
    // The same token now books: the check reads the database, not a claim of the token.
    expect((await book(api, token, { car_id: car.id, start_date: bangkokDate(10), end_date: bangkokDate(11) })).status).toBe(201);

    // Cognito hears of it too (best effort: the users row is what the API trusts).
    const cognito = new CognitoIdentityProviderClient({ endpoint: process.env.COGNITO_ENDPOINT, region: 'local', credentials: EMULATOR_CREDENTIALS });
    const user = await cognito.send(new AdminGetUserCommand({ UserPoolId: process.env.COGNITO_USER_POOL_ID!, Username: email }));
    cognito.destroy();
    expect(user.UserAttributes?.find((attribute) => attribute.Name === 'email_verified')?.Value).toBe('true');
  });

  it('an unverified agency admin cannot list a car (403) until the address is verified', async () => {
    const email = uniqueEmail('agency');
    expect((await registerAgency(email)).status).toBe(201);
    const token = await signIn(email);
    const refused = await api.post('/agency/cars/', carBody(), { token });
    expect(refused.status).toBe(403);
    expect(refused.body.type).toBe('/api/v1/problems/email-not-verified/');
    expect((await api.get('/agency/cars/', { token })).status).toBe(403);

    await deliver();
    expect((await api.post('/auth/verify/', { email, code: await verificationCodeMailedTo(email) })).status).toBe(200);
    expect((await api.post('/agency/cars/', carBody(), { token })).status).toBe(201);
  });

  it('keeps only a hash of the code, and the outbox forgets the code once the e-mail is sent', async () => {
    const email = uniqueEmail('hash');
    expect((await registerCustomer(email)).status).toBe(201);
    const outbox = () =>
      db
        .selectFrom('notifications')
        .select(['status', 'payload'])
        .where('recipient', '=', email)
        .where('kind', '=', 'email_verification')
        .executeTakeFirstOrThrow();
    const queued = (await outbox()).payload as { code: string };
    expect(queued.code).toMatch(/^\d{6}$/);
    const [stored] = await db
      .selectFrom('verification_codes')
      .innerJoin('users', 'users.id', 'verification_codes.user_id')
      .select(['user_id', 'code_hash'])
      .where('users.email', '=', email)
      .execute();
    expect(stored!.code_hash).toBe(hashCode(stored!.user_id, 'email', email, queued.code));
    expect(stored!.code_hash).not.toContain(queued.code);

    await deliver();
    expect(await outbox()).toEqual({ status: 'sent', payload: { full_name: 'Mali Suksan', expires_in_minutes: 30 } });
  });
});

describe('POST /auth/verify/', () => {
  it('answers a wrong code, an expired code and an unknown address with the same 400, verifying nothing', async () => {
    const email = uniqueEmail('wrong');
    const code = await registeredWithCode(email);
    const wrong = await api.post('/auth/verify/', { email, code: another(code) });
    const unknown = await api.post('/auth/verify/', { email: uniqueEmail('nobody'), code });
    expect(wrong.status).toBe(400);
    expect(wrong.headers.get('content-type')).toBe('application/problem+json');
    expect(wrong.body.errors).toEqual([{ path: 'code', message: 'is wrong or has expired' }]);
    expect(unknown.text).toBe(wrong.text);

    await sql`UPDATE verification_codes SET expires_at = now() - interval '1 second'`.execute(db);
    const expired = await api.post('/auth/verify/', { email, code });
    expect(expired.text).toBe(wrong.text);
    expect((await db.selectFrom('users').select('email_verified_at').where('email', '=', email).executeTakeFirstOrThrow()).email_verified_at).toBeNull();
  });

  it('kills a code after 5 wrong tries: the right one is refused then, and a new code works', async () => {
    const email = uniqueEmail('tries');
    const code = await registeredWithCode(email);
    for (let attempt = 0; attempt < 5; attempt++) expect((await api.post('/auth/verify/', { email, code: another(code) })).status).toBe(400);
    expect((await api.post('/auth/verify/', { email, code })).status).toBe(400);

    await age(email, 1); // past the one-a-minute resend limit
    expect((await api.post('/auth/verify/resend/', { email })).status).toBe(202);
    await deliver();
    const fresh = await verificationCodeMailedTo(email);
    expect(fresh).toBeDefined();
    expect((await api.post('/auth/verify/', { email, code: fresh })).status).toBe(200);
    // Used up: the same code again finds nothing to verify (and says nothing of the account).
    expect((await api.post('/auth/verify/', { email, code: fresh })).status).toBe(400);
  });

  it('refuses a code that is not six digits with 400 naming the field', async () => {
    const answer = await api.post('/auth/verify/', { email: uniqueEmail(), code: '12345' });
    expect(answer.status).toBe(400);
    expect(answer.body.errors).toEqual([{ path: 'code', message: 'must be the 6 digits sent to you' }]);
  });
});

describe('POST /auth/verify/resend/', () => {
  it('answers 202 for an unknown address and a verified one, sending nothing', async () => {
    const unknown = uniqueEmail('unknown');
    const answer = await api.post('/auth/verify/resend/', { email: unknown });
    expect(answer.status).toBe(202);
    const verified = await createAgencyAdmin();
    expect((await api.post('/auth/verify/resend/', { email: verified.email })).status).toBe(202);
    await deliver();
    expect(await sentMailTo(unknown)).toEqual([]);
    expect(await sentMailTo(verified.email)).toEqual([]);
  });

  it('sends a new code that replaces the old one, at most once a minute (further requests are still 202 and send nothing)', async () => {
    const email = uniqueEmail('resend');
    const first = await registeredWithCode(email);
    expect((await api.post('/auth/verify/resend/', { email })).status).toBe(202);
    await deliver();
    expect(await sentMailTo(email)).toHaveLength(1); // within the minute: nothing new

    await age(email, 1);
    expect((await api.post('/auth/verify/resend/', { email })).status).toBe(202);
    await deliver();
    expect(await sentMailTo(email)).toHaveLength(2);
    const second = await verificationCodeMailedTo(email);
    if (second !== first) expect((await api.post('/auth/verify/', { email, code: first })).status).toBe(400);
    expect((await api.post('/auth/verify/', { email, code: second })).status).toBe(200);
  });

  it('sends at most 5 codes a day to an account', async () => {
    const email = uniqueEmail('daily');
    await registeredWithCode(email);
    const user = await db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirstOrThrow();
    for (let request = 0; request < 6; request++) {
      // Each request a few minutes after the previous one, all within the last day.
      await sql`UPDATE verification_codes SET created_at = created_at - interval '5 minutes' WHERE user_id = ${user.id}`.execute(db);
      expect((await api.post('/auth/verify/resend/', { email })).status).toBe(202);
    }
    expect(await db.selectFrom('verification_codes').select('id').where('user_id', '=', user.id).execute()).toHaveLength(5);
  });
});

describe('an address registered but never verified cannot lock its owner out', () => {
  it(`gives way after ${UNVERIFIED_GRACE_HOURS} hours: the owner registers (201), the stale account and its identity are gone`, async () => {
    const email = uniqueEmail('squatted');
    expect((await registerCustomer(email, 'Squatter-2027')).status).toBe(201);
    const squatter = await db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirstOrThrow();
    await age(email, UNVERIFIED_GRACE_HOURS + 1);

    const owner = await registerCustomer(email);
    expect(owner.status).toBe(201);
    expect(owner.body.user.id).not.toBe(squatter.id);
    expect(await db.selectFrom('users').select('id').where('id', '=', squatter.id).executeTakeFirst()).toBeUndefined();
    expect(await db.selectFrom('verification_codes').select('id').where('user_id', '=', squatter.id).execute()).toEqual([]);
    await expect(cognitoIdentity.signIn(email, 'Squatter-2027')).rejects.toMatchObject({ status: 401 });
    await signIn(email);
  });

  it('within the grace period answers 409 saying the address awaits verification; a verified account is a plain 409', async () => {
    const email = uniqueEmail('recent');
    expect((await registerCustomer(email)).status).toBe(201);
    await age(email, UNVERIFIED_GRACE_HOURS - 1);
    const recent = await registerCustomer(email);
    expect(recent.status).toBe(409);
    expect(recent.headers.get('content-type')).toBe('application/problem+json');
    expect(recent.body.detail).toContain('awaits verification');
    expect(recent.body.detail).toContain('POST /auth/verify/resend/');

    const verified = await createAgencyAdmin();
    const taken = await registerCustomer(verified.email);
    expect(taken.status).toBe(409);
    expect(taken.body.detail).toBe('An account with this email already exists.');
  });
});

describe('one agency per name and per phone number', () => {
  it('refuses a name that differs only in case and blanks, and a phone that differs only in how it is written, with 409', async () => {
    const first = agencyBody({ name: 'Kamala Coast Cars', phone: '+66 76 385 100' });
    expect((await registerAgency(uniqueEmail('first'), first)).status).toBe(201);

    const refusedEmails = [uniqueEmail('name'), uniqueEmail('phone')];
    const sameName = await registerAgency(refusedEmails[0]!, agencyBody({ name: 'kamala  COAST cars' }));
    expect(sameName.status).toBe(409);
    expect(sameName.body.errors).toEqual([{ path: 'agency.name', message: expect.stringContaining('name already exists') }]);
    const samePhone = await registerAgency(refusedEmails[1]!, agencyBody({ phone: '076-385-100' }));
    expect(samePhone.status).toBe(409);
    expect(samePhone.body.errors).toEqual([{ path: 'agency.phone', message: 'An agency with this phone number already exists.' }]);
    // The refusals came before anything was made.
    expect(
      await db
        .selectFrom('agencies')
        .select('id')
        .where(sql<string>`agency_phone_key(phone)`, '=', '6676385100')
        .execute(),
    ).toHaveLength(1);
    expect(await db.selectFrom('users').select('id').where('email', 'in', refusedEmails).execute()).toEqual([]);
    for (const email of refusedEmails) await expect(cognitoIdentity.signIn(email, TEST_PASSWORD)).rejects.toMatchObject({ status: 401 });
  });

  it('the unique indexes refuse a duplicate whatever code writes it', async () => {
    const holder = await createAgencyAdmin({ name: 'Mai Khao Motors', phone: '+66 76 385 200' });
    const other = await db
      .insertInto('users')
      .values({ cognito_sub: `sub-${holder.user.id}`, email: uniqueEmail(), full_name: 'Other', role: 'agency_admin', email_verified_at: new Date() })
      .returning('id')
      .executeTakeFirstOrThrow();
    const insert = (name: string, phone: string) =>
      db.insertInto('agencies').values({ admin_user_id: other.id, name, phone, address: 'Mai Khao', lat: 8.1, lng: 98.3 }).execute();
    await expect(insert('MAI KHAO MOTORS', '+66 76 385 201')).rejects.toMatchObject({ code: '23505', constraint: 'agencies_name_key' });
    await expect(insert('Mai Khao Bikes', '0066 76 385 200')).rejects.toMatchObject({ code: '23505', constraint: 'agencies_phone_key' });
  });

  it('an unverified agency past its grace period gives its name and phone way; within it, 409', async () => {
    const squatted = agencyBody({ name: 'Rawai Sunset Rentals', phone: '+66 76 385 300' });
    const squatterEmail = uniqueEmail('squatter');
    expect((await registerAgency(squatterEmail, squatted)).status).toBe(201);
    const owner = uniqueEmail('owner');
    expect((await registerAgency(owner, { ...squatted })).status).toBe(409);

    await age(squatterEmail, UNVERIFIED_GRACE_HOURS + 1);
    const registered = await registerAgency(owner, { ...squatted });
    expect(registered.status).toBe(201);
    expect(await db.selectFrom('users').select('id').where('email', '=', squatterEmail).executeTakeFirst()).toBeUndefined();
    expect(await db.selectFrom('agencies').select('admin_user_id').where('name', '=', 'Rawai Sunset Rentals').execute()).toEqual([
      { admin_user_id: registered.body.user.id },
    ]);
  });
});
