import { randomBytes } from 'node:crypto';
import { registerUser, type Registered } from '#core/users/registration';
import type { Role } from '#core/users/table';
import { cognitoIdentity } from '#platform/cognito';
import { getDb } from '#platform/db';

export interface TestUser extends Registered {
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

/**
 * Registers a user through the real registration code (emulated Cognito + this file's
 * database) and signs them in. Agency admins get an agency at Patong unless told otherwise.
 */
export async function createUser(
  role: Role,
  options: { agency?: Partial<{ name: string; phone: string; address: string; lat: number; lng: number }>; fullName?: string } = {},
): Promise<TestUser> {
  const email = uniqueEmail(role === 'customer' ? 'customer' : 'agency');
  const registered = await registerUser(getDb(), cognitoIdentity, {
    email,
    password: TEST_PASSWORD,
    fullName: options.fullName ?? (role === 'customer' ? 'Test Traveller' : 'Test Agency Admin'),
    role,
    ...(role === 'agency_admin'
      ? { agency: { name: 'Test Rentals', phone: '+66 76 000 000', address: 'Thawewong Rd, Patong', ...PATONG, ...options.agency } }
      : {}),
  });
  const tokens = await cognitoIdentity.signIn(email, TEST_PASSWORD);
  return { ...registered, email, password: TEST_PASSWORD, token: tokens.accessToken, refreshToken: tokens.refreshToken, idToken: tokens.idToken };
}

export const createCustomer = () => createUser('customer');
export const createAgencyAdmin = (agency?: Partial<{ name: string; lat: number; lng: number }>) =>
  createUser('agency_admin', { agency });
