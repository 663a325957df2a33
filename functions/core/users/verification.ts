import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../database';
import type { VerificationPurpose } from './table';

/**
 * One-time codes that prove an address (e-mail) or a number (agency phone), generated here
 * rather than by Cognito so that AWS and the local emulators take one code path: the code goes
 * out through the notification outbox (SES, or SNS for SMS). Only a hash of each code is kept,
 * with its expiry and a counter of wrong tries; a new code replaces the previous one.
 */

/** A code proves its target for this long. */
export const CODE_LIFETIME_MINUTES = 30;
/** Wrong tries a code survives; the next try finds it dead and a new code must be requested. */
export const MAX_WRONG_CODE_TRIES = 5;
/** At most one code a minute per account and purpose … */
export const CODE_RESEND_INTERVAL_SECONDS = 60;
/** … and at most this many in any 24 hours, per purpose (each one is a message we pay for). */
export const CODES_PER_DAY: Record<VerificationPurpose, number> = { email: 5, phone: 3 };

const DAY_MS = 86_400_000;

/** What a code looks like: six digits, leading zeros included. */
export const CODE_PATTERN = /^\d{6}$/;

export function newCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}

/** Bound to the account, purpose and target, so a hash is worth nothing for any other. */
export function hashCode(userId: string, purpose: VerificationPurpose, target: string, code: string): string {
  return createHash('sha256').update(`${purpose}:${userId}:${target}:${code}`).digest('hex');
}

export interface CodeRequest {
  userId: string;
  purpose: VerificationPurpose;
  /** The e-mail address or E.164 number the code is sent to. */
  target: string;
  now: Date;
}

export type IssuedCode = { issued: true; id: string; code: string; expiresAt: Date } | { issued: false; retryAfterSeconds: number };

/**
 * Makes a new code unless one was made less than a minute ago or the day's allowance is used;
 * the earlier codes of the same purpose die. Call it in a transaction that holds a lock on the
 * account (its users row), so concurrent requests are counted one after the other.
 */
export async function issueCode(trx: Kysely<Database>, request: CodeRequest): Promise<IssuedCode> {
  const { userId, purpose, target, now } = request;
  const recent = await trx
    .selectFrom('verification_codes')
    .select('created_at')
    .where('user_id', '=', userId)
    .where('purpose', '=', purpose)
    .where('created_at', '>', new Date(now.getTime() - DAY_MS))
    .orderBy('created_at', 'desc')
    .execute();
  const latest = recent[0]?.created_at;
  if (latest && now.getTime() - latest.getTime() < CODE_RESEND_INTERVAL_SECONDS * 1000) {
    return { issued: false, retryAfterSeconds: CODE_RESEND_INTERVAL_SECONDS - (now.getTime() - latest.getTime()) / 1000 };
  }
  if (recent.length >= CODES_PER_DAY[purpose]) {
    const oldest = recent.at(-1)!.created_at;
    return { issued: false, retryAfterSeconds: (oldest.getTime() + DAY_MS - now.getTime()) / 1000 };
  }
  await trx
    .updateTable('verification_codes')
    .set({ expires_at: now })
    .where('user_id', '=', userId)
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .execute();
  const code = newCode();
  const expiresAt = new Date(now.getTime() + CODE_LIFETIME_MINUTES * 60_000);
  const row = await trx
    .insertInto('verification_codes')
    .values({ user_id: userId, purpose, target, code_hash: hashCode(userId, purpose, target, code), expires_at: expiresAt, created_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { issued: true, id: row.id, code, expiresAt };
}

/**
 * Whether `code` is the live code for this account, purpose and target. A right code is used
 * up; a wrong one counts against the live code (after MAX_WRONG_CODE_TRIES it is dead). The
 * caller must commit even when this answers false, so the wrong try stays counted.
 */
export async function useCode(trx: Kysely<Database>, request: CodeRequest & { code: string }): Promise<boolean> {
  const { userId, purpose, target, now } = request;
  const live = await trx
    .selectFrom('verification_codes')
    .select(['id', 'target', 'code_hash'])
    .where('user_id', '=', userId)
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .where('attempts', '<', MAX_WRONG_CODE_TRIES)
    .orderBy('created_at', 'desc')
    .limit(1)
    .forUpdate()
    .executeTakeFirst();
  // A code sent to an address or number the account no longer has proves nothing.
  if (!live || live.target !== target) return false;
  const given = Buffer.from(hashCode(userId, purpose, target, request.code), 'hex');
  if (!timingSafeEqual(given, Buffer.from(live.code_hash, 'hex'))) {
    await trx
      .updateTable('verification_codes')
      .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
      .where('id', '=', live.id)
      .execute();
    return false;
  }
  await trx.updateTable('verification_codes').set({ used_at: now }).where('id', '=', live.id).execute();
  return true;
}
