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
  /**
   * Creates a confirmed user with this password in the role's group, its address not yet
   * verified; returns its `sub`. 409 if the email exists; 400 naming the rule if the password
   * breaks the pool's policy. Either the whole user is made or none of it is left behind.
   */
  createUser(input: { email: string; password: string; fullName: string; role: Role }): Promise<string>;
  /** Removes the user, named by its e-mail or its sub; a user that does not exist is not an error. */
  deleteUser(emailOrSub: string): Promise<void>;
  /**
   * Tells the provider the address was verified (our code proved it). Best effort: it never
   * throws, because the users row is what the API trusts; a failure is only logged.
   */
  markEmailVerified(email: string): Promise<void>;
  /** 401 Unauthorized on any bad credential, the same for unknown email and wrong password. */
  signIn(email: string, password: string): Promise<Tokens>;
  refresh(refreshToken: string): Promise<Tokens>;
}

/**
 * The compensation step: removes an identity whose account could not be completed, so no
 * half-made account stays behind. If the removal fails too, both errors travel on together.
 */
export async function removeIdentityAfterFailure(identity: IdentityProvider, user: { email: string; sub?: string | undefined }, error: unknown): Promise<void> {
  await identity.deleteUser(user.email).catch((cleanupError: unknown) => {
    throw new AggregateError([error, cleanupError], `Creating an account failed and identity ${user.sub ?? '(no sub yet)'} could not be removed`);
  });
}
