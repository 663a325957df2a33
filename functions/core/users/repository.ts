import type { Kysely } from 'kysely';
import type { Database } from '../database';
import type { Role } from './table';

/** Who is calling, as our database knows them (any signed-in user). */
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

/** A customer: books and reviews; administers no agency. */
export type CustomerCaller = Omit<Caller, 'role' | 'agencyId' | 'agencyName'> & { role: 'customer' };

/** An agency admin with their agency: every agency route acts on `agencyId`. */
export type AgencyAdminCaller = Omit<Caller, 'role' | 'agencyId' | 'agencyName'> & { role: 'agency_admin'; agencyId: string; agencyName: string };

/** The caller as a customer, or undefined for any other role. */
export function asCustomer(caller: Caller): CustomerCaller | undefined {
  if (caller.role !== 'customer') return undefined;
  const { userId, sub, email, fullName, emailVerified } = caller;
  return { userId, sub, email, fullName, emailVerified, role: 'customer' };
}

/** The caller as the admin of an agency, or undefined for a customer (or an admin whose agency is gone). */
export function asAgencyAdmin(caller: Caller): AgencyAdminCaller | undefined {
  const { role, agencyId, agencyName } = caller;
  return role === 'agency_admin' && agencyId !== null && agencyName !== null ? { ...caller, role, agencyId, agencyName } : undefined;
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
