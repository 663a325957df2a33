import { sql, type Kysely } from 'kysely';
import type { Database } from '../database';
import { Conflict, ServiceUnavailable, type FieldProblem } from '../errors';
import { sendEmailCode } from './email-verification';
import { removeIdentityAfterFailure, type IdentityProvider } from './identity';
import type { RegisteredJson } from './shape';
import type { Role } from './table';

/**
 * How long an unverified account keeps its address (and its agency's name and phone) from a
 * new registration. After it, registering the address again reclaims the account: whoever
 * typed someone else's address cannot lock its owner out.
 */
export const UNVERIFIED_GRACE_HOURS = 24;

export interface Registration {
  email: string;
  password: string;
  fullName: string;
  role: Role;
  agency?: { name: string; phone: string; address: string; lat: number; lng: number };
}

export interface RegistrationOptions {
  /** The moment of registration (tests move it). */
  now?: Date;
  /**
   * Seed data only (the demo catalogue, benchmarks, test fixtures): the address counts as
   * proven and no code is sent. Never for an address a person typed into the API.
   */
  preverified?: boolean;
}

const EMAIL_TAKEN = 'An account with this email already exists.';
const NAME_TAKEN = 'An agency with this name already exists (names are compared ignoring case and blanks).';
const PHONE_TAKEN = 'An agency with this phone number already exists.';
const EMAIL_AWAITING_VERIFICATION =
  `An account with this email was registered less than ${UNVERIFIED_GRACE_HOURS} hours ago and awaits verification: ` +
  'enter the code sent to the address (POST /auth/verify/) or request a new one (POST /auth/verify/resend/). ' +
  `If that registration was not yours, register again once ${UNVERIFIED_GRACE_HOURS} hours have passed since it.`;
const AGENCY_AWAITING_VERIFICATION =
  ` Its account was registered less than ${UNVERIFIED_GRACE_HOURS} hours ago and awaits verification; ` +
  `if it is never verified, the name and phone are free again ${UNVERIFIED_GRACE_HOURS} hours after its registration.`;

/** The unique indexes behind each rule, for registrations that race each other to the insert. */
const CONFLICT_OF_CONSTRAINT: Record<string, FieldProblem> = {
  users_email_key: { path: 'email', message: EMAIL_TAKEN },
  agencies_name_key: { path: 'agency.name', message: NAME_TAKEN },
  agencies_phone_key: { path: 'agency.phone', message: PHONE_TAKEN },
};

/** An existing account that holds the email, agency name or agency phone asked for. */
interface Holder {
  id: string;
  email: string;
  verified: boolean;
  createdAt: Date;
  problem: FieldProblem;
}

/**
 * Registers an account. First, whoever holds the address, the agency name or the phone: a
 * verified account, or an unverified one inside its grace period, is a 409; an unverified one
 * past it is reclaimed (removed). Then creates the identity (Cognito user in the role's group)
 * and, in one transaction, the users row, the agency row for an agency admin (one-to-one) and
 * the verification code with its e-mail in the outbox. If the database step fails, the
 * identity is removed again: no half-made accounts.
 */
export async function registerUser(
  db: Kysely<Database>,
  identity: IdentityProvider,
  input: Registration,
  options: RegistrationOptions = {},
): Promise<RegisteredJson> {
  const now = options.now ?? new Date();
  const email = input.email.toLowerCase();
  const graceEnd = new Date(now.getTime() - UNVERIFIED_GRACE_HOURS * 3_600_000);

  const holders = await findHolders(db, email, input.agency);
  const blocking = holders.find((holder) => holder.verified || holder.createdAt > graceEnd);
  if (blocking) {
    const detail = blocking.verified
      ? blocking.problem.message
      : blocking.problem.path === 'email'
        ? EMAIL_AWAITING_VERIFICATION
        : blocking.problem.message + AGENCY_AWAITING_VERIFICATION;
    throw new Conflict(detail, { errors: [blocking.problem] });
  }
  const reclaimed: string[] = [];
  for (const stale of new Map(holders.map((holder) => [holder.id, holder])).values()) {
    const sub = await reclaimStaleAccount(db, stale.id, graceEnd);
    if (sub) reclaimed.push(sub);
  }
  // After the commits, with no transaction open: the reclaimed accounts' identities, and any
  // an earlier attempt at this address could not remove, go before this address's new one.
  await removeReclaimedIdentities(db, identity, { email, subs: reclaimed });

  const sub = await identity.createUser({ email, password: input.password, fullName: input.fullName, role: input.role });
  try {
    return await db.transaction().execute(async (trx) => {
      const user = await trx
        .insertInto('users')
        .values({ cognito_sub: sub, email, full_name: input.fullName, role: input.role, email_verified_at: options.preverified ? now : null })
        .returning(['id', 'email', 'full_name', 'role'])
        .executeTakeFirstOrThrow();
      if (!options.preverified) await sendEmailCode(trx, { id: user.id, email, fullName: input.fullName }, now);
      if (!input.agency) return { user };
      const agency = await trx
        .insertInto('agencies')
        .values({ admin_user_id: user.id, ...input.agency })
        .returning(['id', 'name'])
        .executeTakeFirstOrThrow();
      return { user, agency };
    });
  } catch (error) {
    await removeIdentityAfterFailure(identity, { email, sub }, error);
    const problem = uniqueViolationProblem(error);
    if (problem) throw new Conflict(problem.message, { errors: [problem], cause: error });
    throw error;
  }
}

function uniqueViolationProblem(error: unknown): FieldProblem | undefined {
  const { code, constraint } = (error ?? {}) as { code?: string; constraint?: string };
  if (code !== '23505') return undefined;
  return CONFLICT_OF_CONSTRAINT[constraint ?? ''] ?? { path: 'email', message: EMAIL_TAKEN };
}

/** The accounts holding this email, or an agency of this name or phone (by the unique indexes' own keys). */
async function findHolders(db: Kysely<Database>, email: string, agency: Registration['agency']): Promise<Holder[]> {
  const owners = db.selectFrom('users').select(['users.id', 'users.email', 'users.email_verified_at', 'users.created_at']);
  const byEmail = await owners.where((eb) => eb(eb.fn('lower', ['users.email']), '=', email)).execute();
  const holders = byEmail.map((row) => holder(row, { path: 'email', message: EMAIL_TAKEN }));
  if (agency) {
    const admins = owners.innerJoin('agencies', 'agencies.admin_user_id', 'users.id');
    const byName = await admins.where(sql`agency_name_key(agencies.name)`, '=', sql`agency_name_key(${agency.name})`).execute();
    const byPhone = await admins.where(sql`agency_phone_key(agencies.phone)`, '=', sql`agency_phone_key(${agency.phone})`).execute();
    holders.push(...byName.map((row) => holder(row, { path: 'agency.name', message: NAME_TAKEN })));
    holders.push(...byPhone.map((row) => holder(row, { path: 'agency.phone', message: PHONE_TAKEN })));
  }
  return holders;
}

function holder(row: { id: string; email: string; email_verified_at: Date | null; created_at: Date }, problem: FieldProblem): Holder {
  return { id: row.id, email: row.email, verified: row.email_verified_at !== null, createdAt: row.created_at, problem };
}

/**
 * Removes an account that was never verified and whose grace period is over: its agency and
 * users rows (its codes go with them), and records its identity for removal (removed after the
 * commit by removeReclaimedIdentities). An unverified account can neither book nor list cars,
 * so nothing else refers to it. The users row is locked, so a verification arriving meanwhile
 * waits and then finds no account; one that committed first leaves the account verified, which
 * is then not touched. Until its identity is removed it can still sign in at Cognito, but has
 * no account here: every API call answers 401.
 */
async function reclaimStaleAccount(db: Kysely<Database>, userId: string, graceEnd: Date): Promise<string | undefined> {
  return db.transaction().execute(async (trx) => {
    const stale = await trx
      .selectFrom('users')
      .select(['id', 'email', 'cognito_sub'])
      .where('id', '=', userId)
      .where('email_verified_at', 'is', null)
      .where('created_at', '<=', graceEnd)
      .forUpdate()
      .executeTakeFirst();
    if (!stale) return undefined;
    await trx.deleteFrom('agencies').where('admin_user_id', '=', stale.id).execute();
    await trx.deleteFrom('users').where('id', '=', stale.id).execute();
    await trx
      .insertInto('identity_deletions')
      .values({ sub: stale.cognito_sub, email: stale.email })
      .onConflict((conflict) => conflict.column('sub').doNothing())
      .execute();
    return stale.cognito_sub;
  });
}

/**
 * Removes, at the identity provider, the identities recorded for removal under this address
 * and those of the accounts just reclaimed (an agency's name or phone may have been held by
 * another address), each by its sub, then forgets them. If the provider fails,
 * the record stays with the error and the registration answers 503: its retry (or the next
 * registration of the address) removes it first. By sub, never by address: a registration of
 * the same address running at the same time keeps its own new identity.
 */
async function removeReclaimedIdentities(db: Kysely<Database>, identity: IdentityProvider, of: { email: string; subs: readonly string[] }): Promise<void> {
  const pending = await db
    .selectFrom('identity_deletions')
    .select('sub')
    .where((eb) => eb.or([eb(sql<string>`lower(email)`, '=', of.email), ...(of.subs.length > 0 ? [eb('sub', 'in', of.subs)] : [])]))
    .execute();
  for (const { sub } of pending) {
    try {
      await identity.deleteUser(sub);
    } catch (error) {
      await db
        .updateTable('identity_deletions')
        .set({ last_error: String(error instanceof Error ? error.message : error).slice(0, 1000) })
        .where('sub', '=', sub)
        .execute();
      throw new ServiceUnavailable('Registration cannot finish right now: an earlier account of this address is still being removed. Please retry shortly.', {
        cause: error,
      });
    }
    await db.deleteFrom('identity_deletions').where('sub', '=', sub).execute();
  }
}
