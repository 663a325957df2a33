import type { Kysely } from 'kysely';
import type { Database } from '../database';
import { ValidationError } from '../errors';
import { enqueueNotification } from '../notifications/outbox';
import type { IdentityProvider } from './identity';
import type { UserJson } from './shape';
import { CODE_LIFETIME_MINUTES, issueCode, useCode, type IssuedCode } from './verification';

/**
 * Proving an account's e-mail address: registration sends a 6-digit code to the
 * address; POST /auth/verify/ with the code marks the account verified; until then it can sign
 * in but not use customer or agency routes (functions/platform/auth.ts). Answers never tell
 * whether an address is registered.
 */

/** The one answer to a code that does not verify, whatever the reason (unknown address included). */
export const WRONG_CODE =
  'The code is wrong or has expired (a code dies after 5 wrong tries, or when a newer one is sent). ' +
  'Request a new one with POST /auth/verify/resend/. An address that is already verified needs no code: sign in.';

/**
 * Makes a code for the account and queues its e-mail in the caller's transaction (which must
 * hold the users row: it has just inserted it, or locked it). No code when one went out less
 * than a minute ago or the day's allowance is used.
 */
export async function sendEmailCode(trx: Kysely<Database>, user: { id: string; email: string; fullName: string }, now: Date): Promise<IssuedCode> {
  const issued = await issueCode(trx, { userId: user.id, purpose: 'email', target: user.email, now });
  if (issued.issued) {
    await enqueueNotification(trx, {
      kind: 'email_verification',
      recipient: user.email,
      payload: { code: issued.code, full_name: user.fullName, expires_in_minutes: CODE_LIFETIME_MINUTES },
      dedupeKey: `email_verification:${issued.id}`,
    });
  }
  return issued;
}

/**
 * Verifies the address with its live code; 400 (WRONG_CODE) otherwise. A wrong code counts as
 * a try even though the answer is an error. After the commit, Cognito hears of it too (best
 * effort: our row is what the API trusts).
 */
export async function verifyEmail(db: Kysely<Database>, identity: IdentityProvider, input: { email: string; code: string; now?: Date }): Promise<UserJson> {
  const now = input.now ?? new Date();
  const email = input.email.toLowerCase();
  const verified = await db.transaction().execute(async (trx) => {
    const user = await trx
      .selectFrom('users')
      .select(['id', 'email', 'full_name', 'role', 'email_verified_at'])
      .where((eb) => eb(eb.fn('lower', ['email']), '=', email))
      .forUpdate()
      .executeTakeFirst();
    if (!user || user.email_verified_at) return undefined;
    if (!(await useCode(trx, { userId: user.id, purpose: 'email', target: user.email, code: input.code, now }))) return undefined;
    await trx.updateTable('users').set({ email_verified_at: now }).where('id', '=', user.id).execute();
    return { id: user.id, email: user.email, full_name: user.full_name, role: user.role };
  });
  if (!verified) throw new ValidationError(WRONG_CODE, { errors: [{ path: 'code', message: 'is wrong or has expired' }] });
  await identity.markEmailVerified(verified.email);
  return verified;
}

/**
 * Sends a new code to an unverified account's address. Does nothing, silently, for an
 * unknown or verified address, or when the account asked too often: the caller answers the
 * same in every case.
 */
export async function resendEmailCode(db: Kysely<Database>, input: { email: string; now?: Date }): Promise<void> {
  const now = input.now ?? new Date();
  const email = input.email.toLowerCase();
  await db.transaction().execute(async (trx) => {
    const user = await trx
      .selectFrom('users')
      .select(['id', 'email', 'full_name'])
      .where((eb) => eb(eb.fn('lower', ['email']), '=', email))
      .where('email_verified_at', 'is', null)
      .forUpdate()
      .executeTakeFirst();
    if (user) await sendEmailCode(trx, { id: user.id, email: user.email, fullName: user.full_name }, now);
  });
}
