import type { Role } from './table';

export interface Tokens {
  accessToken: string;
  idToken: string;
  refreshToken: string;
  expiresIn: number;
}

/**
 * The port to the identity provider (Cognito in AWS, cognito-local here). Core code depends
 * on this, not on the SDK, so registration's compensation logic is testable on its own.
 */
export interface IdentityProvider {
  /** Creates a confirmed user in the role's group; returns its `sub`. 409 if the email exists. */
  createUser(input: { email: string; password: string; fullName: string; role: Role }): Promise<string>;
  /** Removes the user; a user that does not exist is not an error. */
  deleteUser(email: string): Promise<void>;
  /** 401 Unauthorized on any bad credential, the same for unknown email and wrong password. */
  signIn(email: string, password: string): Promise<Tokens>;
  refresh(refreshToken: string): Promise<Tokens>;
}
