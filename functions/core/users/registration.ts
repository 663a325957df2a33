import type { Kysely } from 'kysely';
import type { Database } from '../database';
import { Conflict } from '../errors';
import { removeIdentityAfterFailure, type IdentityProvider } from './identity';
import type { Role } from './table';

export interface Registration {
  email: string;
  password: string;
  fullName: string;
  role: Role;
  agency?: { name: string; phone: string; address: string; lat: number; lng: number };
}

export interface Registered {
  user: { id: string; email: string; full_name: string; role: Role };
  agency?: { id: string; name: string };
}

const isUniqueViolation = (error: unknown) => (error as { code?: string } | null)?.code === '23505';

/**
 * Creates the identity (Cognito user in the role's group), then, in one transaction, the
 * users row and for an agency admin the agency row (one-to-one). If the database step fails,
 * the identity is removed again: no half-made accounts.
 */
export async function registerUser(db: Kysely<Database>, identity: IdentityProvider, input: Registration): Promise<Registered> {
  const email = input.email.toLowerCase();
  const existing = await db.selectFrom('users').select('id').where((eb) => eb(eb.fn('lower', ['email']), '=', email)).executeTakeFirst();
  if (existing) throw new Conflict('An account with this email already exists.');

  const sub = await identity.createUser({ email, password: input.password, fullName: input.fullName, role: input.role });
  try {
    return await db.transaction().execute(async (trx) => {
      const user = await trx
        .insertInto('users')
        .values({ cognito_sub: sub, email, full_name: input.fullName, role: input.role })
        .returning(['id', 'email', 'full_name', 'role'])
        .executeTakeFirstOrThrow();
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
    if (isUniqueViolation(error)) throw new Conflict('An account with this email already exists.');
    throw error;
  }
}
