import type { Kysely } from 'kysely';
import type { Database } from '../database';
import { Conflict, TooManyRequests, ValidationError } from '../errors';
import { enqueueNotification, smsNumber } from '../notifications/outbox';
import type { PhoneStatusJson, PhoneVerificationJson } from './shape';
import { CODE_LIFETIME_MINUTES, CODES_PER_DAY, issueCode, useCode } from './verification';

/**
 * Proving an agency's phone number: a 6-digit code goes to the number by SMS and the agency
 * sends it back. Only a verified number receives booking SMS (notifications/outbox.ts), so a
 * registrant cannot point our SMS at a number of their choosing (SMS pumping). Changing the
 * phone unverifies it (a trigger on agencies).
 */

interface AgencyCaller {
  userId: string;
  agencyId: string;
}

/** The agency's row, locked with its admin's users row (codes are counted per account). */
async function lockAgency(trx: Kysely<Database>, caller: AgencyCaller) {
  await trx.selectFrom('users').select('id').where('id', '=', caller.userId).forUpdate().executeTakeFirstOrThrow();
  return trx
    .selectFrom('agencies')
    .select(['id', 'name', 'phone', 'phone_verified_at'])
    .where('id', '=', caller.agencyId)
    .where('admin_user_id', '=', caller.userId)
    .executeTakeFirstOrThrow();
}

/**
 * Queues a code by SMS to the agency's phone: 409 if it is verified already or cannot receive
 * SMS; 429 (with when to retry) within a minute of the last code or past 3 codes in 24 hours.
 */
export async function requestPhoneCode(db: Kysely<Database>, caller: AgencyCaller, now: Date = new Date()): Promise<PhoneVerificationJson> {
  const outcome = await db.transaction().execute(async (trx) => {
    const agency = await lockAgency(trx, caller);
    const number = smsNumber(agency.phone);
    if (agency.phone_verified_at) throw new Conflict('The agency phone is verified already.');
    if (!number) throw new Conflict(`The agency phone "${agency.phone}" cannot be read as an international number that receives SMS.`);
    const issued = await issueCode(trx, { userId: caller.userId, purpose: 'phone', target: number, now });
    if (!issued.issued) return { number, throttled: true as const, retryAfterSeconds: issued.retryAfterSeconds };
    await enqueueNotification(trx, {
      kind: 'phone_verification',
      channel: 'sms',
      recipient: number,
      payload: { code: issued.code, agency_name: agency.name, expires_in_minutes: CODE_LIFETIME_MINUTES },
      dedupeKey: `phone_verification:${issued.id}`,
    });
    return { number, throttled: false as const, expiresAt: issued.expiresAt };
  });
  if (outcome.throttled) {
    throw new TooManyRequests(
      `A code was sent to this number less than a minute ago, or ${CODES_PER_DAY.phone} codes in the last 24 hours: use the last one, or ask again after Retry-After.`,
      outcome.retryAfterSeconds,
    );
  }
  return { phone: outcome.number, phone_verified: false, expires_at: outcome.expiresAt.toISOString() };
}

/** Verifies the agency's phone with the code sent to it; 400 if the code is wrong or expired. */
export async function verifyPhone(db: Kysely<Database>, caller: AgencyCaller, code: string, now: Date = new Date()): Promise<PhoneStatusJson> {
  const verified = await db.transaction().execute(async (trx) => {
    const agency = await lockAgency(trx, caller);
    const number = smsNumber(agency.phone);
    if (agency.phone_verified_at && number) return number;
    if (!number || !(await useCode(trx, { userId: caller.userId, purpose: 'phone', target: number, code, now }))) return undefined;
    await trx.updateTable('agencies').set({ phone_verified_at: now }).where('id', '=', agency.id).execute();
    return number;
  });
  if (!verified) {
    throw new ValidationError(
      'The code is wrong or has expired (a code dies after 5 wrong tries, or when a newer one is sent). Request a new one with POST /agency/phone/verification/.',
      {
        errors: [{ path: 'code', message: 'is wrong or has expired' }],
      },
    );
  }
  return { phone: verified, phone_verified: true };
}
