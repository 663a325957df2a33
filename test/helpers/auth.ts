import { randomBytes } from 'node:crypto';
import { registerUser } from '#core/users/registration';
import type { RegisteredJson } from '#core/users/shape';
import type { Role } from '#core/users/table';
import { cognitoIdentity } from '#platform/cognito';
import { getDb } from '#platform/db';

export interface TestUser extends RegisteredJson {
  email: string;
  password: string;
  /** A real access token from the Cognito emulator. */
  token: string;
  refreshToken: string;
  idToken: string;
}

export const TEST_PASSWORD = 'Phuket-2027';

/** A unique email, so test files sharing the emulator never collide. */
export function uniqueEmail(prefix = 'user'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}@example.com`;
}

/** Patong, for agencies that do not care where they are. */
export const PATONG = { lat: 7.8961, lng: 98.2967 };

let agenciesMade = 0;

/**
 * A name and an E.164 phone no other agency of this test file's database has: both are
 * unique (names ignoring case and blanks). Every fixture helper takes its agencies' from here.
 */
export function uniqueAgency(prefix = 'Test Rentals'): { name: string; phone: string } {
  agenciesMade++;
  return { name: `${prefix} ${agenciesMade}`, phone: `+66 61 ${String(agenciesMade).padStart(6, '0')}` };
}

/**
 * Registers a user through the real registration code (emulated Cognito + this file's
 * database) and signs them in. Agency admins get an agency at Patong, with a name and phone
 * of its own, unless told otherwise. The address counts as verified (no code is sent: the
 * mailboxes of the tests stay theirs) unless `verified: false`, and an agency's phone only
 * with `phoneVerified: true`; test/integration/email-verification.test.ts goes through the
 * real code flow.
 */
export async function createUser(
  role: Role,
  options: {
    agency?: Partial<{ name: string; phone: string; address: string; lat: number; lng: number }>;
    fullName?: string;
    verified?: boolean;
    phoneVerified?: boolean;
  } = {},
): Promise<TestUser> {
  const email = uniqueEmail(role === 'customer' ? 'customer' : 'agency');
  const registered = await registerUser(
    getDb(),
    cognitoIdentity,
    {
      email,
      password: TEST_PASSWORD,
      fullName: options.fullName ?? (role === 'customer' ? 'Test Traveller' : 'Test Agency Admin'),
      role,
      ...(role === 'agency_admin' ? { agency: { ...uniqueAgency(), address: 'Thawewong Rd, Patong', ...PATONG, ...options.agency } } : {}),
    },
    { preverified: options.verified ?? true },
  );
  if (options.phoneVerified && registered.agency) {
    await getDb().updateTable('agencies').set({ phone_verified_at: new Date() }).where('id', '=', registered.agency.id).execute();
  }
  const tokens = await cognitoIdentity.signIn(email, TEST_PASSWORD);
  return { ...registered, email, password: TEST_PASSWORD, token: tokens.accessToken, refreshToken: tokens.refreshToken, idToken: tokens.idToken };
}

export const createCustomer = () => createUser('customer');
export const createAgencyAdmin = (agency?: Partial<{ name: string; phone: string; lat: number; lng: number }>, options: { phoneVerified?: boolean } = {}) =>
  createUser('agency_admin', { agency, ...options });
