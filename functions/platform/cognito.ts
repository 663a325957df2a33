import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminSetUserPasswordCommand,
  AdminUpdateUserAttributesCommand,
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { Conflict, Unauthorized, ValidationError } from '#core/errors';
import { removeIdentityAfterFailure, type IdentityProvider, type Tokens } from '#core/users/identity';
import type { Role } from '#core/users/table';
import { cognitoConfig } from './auth';
import { logger } from './logger';

const GROUP_OF_ROLE: Record<Role, string> = { customer: 'customers', agency_admin: 'agency_admins' };

let client: CognitoIdentityProviderClient | undefined;

/** One SDK client per process; locally its endpoint is the emulator's. */
function cognito(): CognitoIdentityProviderClient {
  const config = cognitoConfig();
  client ??= new CognitoIdentityProviderClient({
    region: config.AWS_REGION,
    ...(config.COGNITO_ENDPOINT ? { endpoint: config.COGNITO_ENDPOINT } : {}),
  });
  return client;
}

const errorName = (error: unknown) => (error as { name?: string } | null)?.name ?? '';

/** The one 401 answer for every failed sign-in, so it never tells which part was wrong. */
export const BAD_CREDENTIALS = 'The email or password is incorrect.';

/**
 * The IdentityProvider port, implemented with Cognito (cognito-local locally).
 *
 * Users are created only through the admin API with this function's IAM role: the pool has
 * self sign-up switched off, so nobody can make a Cognito user behind our API's back (one
 * without a users row, which would leave the real owner of the email with a 409 forever).
 */
export const cognitoIdentity: IdentityProvider = {
  async createUser({ email, password, fullName, role }) {
    const UserPoolId = cognitoConfig().COGNITO_USER_POOL_ID;
    let sub: string | undefined;
    try {
      const created = await cognito().send(
        new AdminCreateUserCommand({
          UserPoolId,
          Username: email,
          // No invitation mail with a temporary password: the password is set just below.
          MessageAction: 'SUPPRESS',
          // Not email_verified: the address is proved with our own code (POST /auth/verify/),
          // after which markEmailVerified tells Cognito.
          UserAttributes: [
            { Name: 'email', Value: email },
            { Name: 'name', Value: fullName },
          ],
        }),
      );
      sub = created.User?.Attributes?.find((attribute) => attribute.Name === 'sub')?.Value;
    } catch (error) {
      if (errorName(error) === 'UsernameExistsException') throw new Conflict('An account with this email already exists.');
      throw error;
    }
    try {
      if (!sub) throw new Error("AdminCreateUser answered without the user's sub");
      // Permanent: the user is CONFIRMED with this password and can sign in at once; what an
      // unverified address may not do is decided by the API (functions/platform/auth.ts).
      await cognito().send(new AdminSetUserPasswordCommand({ UserPoolId, Username: email, Password: password, Permanent: true }));
      await cognito().send(new AdminAddUserToGroupCommand({ UserPoolId, Username: email, GroupName: GROUP_OF_ROLE[role] }));
      return sub;
    } catch (error) {
      await removeIdentityAfterFailure(cognitoIdentity, { email, sub }, error);
      // The route's schema checks the same policy first, so this is only the pool's own word
      // should the two ever differ; it is the same 400 on the same field.
      if (errorName(error) === 'InvalidPasswordException') {
        throw new ValidationError('The request body failed validation.', {
          errors: [{ path: 'password', message: (error as Error).message }],
        });
      }
      throw error;
    }
  },

  async deleteUser(emailOrSub) {
    try {
      // Cognito takes the sub as the Username of the admin API too (as cognito-local does).
      await cognito().send(new AdminDeleteUserCommand({ UserPoolId: cognitoConfig().COGNITO_USER_POOL_ID, Username: emailOrSub }));
    } catch (error) {
      if (errorName(error) !== 'UserNotFoundException') throw error;
    }
  },

  async markEmailVerified(email) {
    try {
      await cognito().send(
        new AdminUpdateUserAttributesCommand({
          UserPoolId: cognitoConfig().COGNITO_USER_POOL_ID,
          Username: email,
          // The address again, unchanged: cognito-local refuses email_verified without it; AWS
          // accepts both, and sends no message for an address set as verified in the same call.
          UserAttributes: [
            { Name: 'email', Value: email },
            { Name: 'email_verified', Value: 'true' },
          ],
        }),
      );
    } catch (error) {
      logger.warn('could not mark the e-mail verified in Cognito; the database says it is', { error: errorName(error) || String(error) });
    }
  },

  async signIn(email, password) {
    try {
      const answer = await cognito().send(
        new InitiateAuthCommand({
          ClientId: cognitoConfig().COGNITO_CLIENT_ID,
          AuthFlow: 'USER_PASSWORD_AUTH',
          AuthParameters: { USERNAME: email, PASSWORD: password },
        }),
      );
      return tokensOf(answer.AuthenticationResult, undefined);
    } catch (error) {
      if (['NotAuthorizedException', 'UserNotFoundException', 'UserNotConfirmedException', 'InvalidPasswordException'].includes(errorName(error))) {
        throw new Unauthorized(BAD_CREDENTIALS);
      }
      throw error;
    }
  },

  async refresh(refreshToken) {
    try {
      const answer = await cognito().send(
        new InitiateAuthCommand({
          ClientId: cognitoConfig().COGNITO_CLIENT_ID,
          AuthFlow: 'REFRESH_TOKEN_AUTH',
          AuthParameters: { REFRESH_TOKEN: refreshToken },
        }),
      );
      return tokensOf(answer.AuthenticationResult, refreshToken);
    } catch (error) {
      if (['NotAuthorizedException', 'UserNotFoundException', 'InvalidParameterException'].includes(errorName(error))) {
        throw new Unauthorized('The refresh token is invalid or expired.');
      }
      throw error;
    }
  },
};

function tokensOf(
  result: { AccessToken?: string; IdToken?: string; RefreshToken?: string; ExpiresIn?: number } | undefined,
  previousRefreshToken: string | undefined,
): Tokens {
  if (!result?.AccessToken || !result.IdToken) throw new Unauthorized(BAD_CREDENTIALS);
  return {
    accessToken: result.AccessToken,
    idToken: result.IdToken,
    refreshToken: result.RefreshToken ?? previousRefreshToken ?? '',
    expiresIn: result.ExpiresIn ?? 3600,
  };
}
