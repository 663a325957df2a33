import type { Kysely } from 'kysely';
import type { Database } from '../database';
import type { Role } from './table';

/** Who is calling, as our database knows them. */
export interface Caller {
  userId: string;
  sub: string;
  email: string;
  fullName: string;
  role: Role;
  /** Whether the account proved its e-mail address; until then only 'signed-in' routes serve it. */
  emailVerified: boolean;
  /** The agency this user administers; null for customers. */
  agencyId: string | null;
  agencyName: string | null;
}

export async function findCallerBySub(db: Kysely<Database>, sub: string): Promise<Caller | undefined> {
  const row = await db
    .selectFrom('users')
    .leftJoin('agencies', 'agencies.admin_user_id', 'users.id')
    .select([
      'users.id as userId',
      'users.cognito_sub as sub',
      'users.email',
      'users.full_name as fullName',
      'users.role',
      (eb) => eb('users.email_verified_at', 'is not', null).$castTo<boolean>().as('emailVerified'),
      'agencies.id as agencyId',
      'agencies.name as agencyName',
    ])
    .where('users.cognito_sub', '=', sub)
    .executeTakeFirst();
  return row;
}
