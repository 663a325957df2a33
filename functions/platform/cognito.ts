import {
  AdminAddUserToGroupCommand,
  AdminConfirmSignUpCommand,
  AdminDeleteUserCommand,
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
  SignUpCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { Conflict, Unauthorized, ValidationError } from '#core/errors';
import type { IdentityProvider, Tokens } from '#core/users/identity';
import type { Role } from '#core/users/table';
import { cognitoConfig } from './auth';

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

/** The IdentityProvider port, implemented with Cognito (cognito-local locally). */
export const cognitoIdentity: IdentityProvider = {
  async createUser({ email, password, fullName, role }) {
    const { COGNITO_CLIENT_ID, COGNITO_USER_POOL_ID } = cognitoConfig();
    let sub: string;
    try {
      const signedUp = await cognito().send(
        new SignUpCommand({
          ClientId: COGNITO_CLIENT_ID,
          Username: email,
          Password: password,
          UserAttributes: [
            { Name: 'email', Value: email },
            { Name: 'name', Value: fullName },
          ],
        }),
      );
      sub = signedUp.UserSub!;
    } catch (error) {
      if (errorName(error) === 'UsernameExistsException') throw new Conflict('An account with this email already exists.');
      if (errorName(error) === 'InvalidPasswordException') {
        throw new ValidationError('The password does not meet the policy.', {
          errors: [{ path: 'password', message: (error as Error).message }],
        });
      }
      throw error;
    }
    try {
      // MVP flow: accounts are confirmed at once (no email code yet).
      await cognito().send(new AdminConfirmSignUpCommand({ UserPoolId: COGNITO_USER_POOL_ID, Username: email }));
      await cognito().send(
        new AdminAddUserToGroupCommand({ UserPoolId: COGNITO_USER_POOL_ID, Username: email, GroupName: GROUP_OF_ROLE[role] }),
      );
    } catch (error) {
      await this.deleteUser(email);
      throw error;
    }
    return sub;
  },

  async deleteUser(email) {
    try {
      await cognito().send(new AdminDeleteUserCommand({ UserPoolId: cognitoConfig().COGNITO_USER_POOL_ID, Username: email }));
    } catch (error) {
      if (errorName(error) !== 'UserNotFoundException') throw error;
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
