import { cognitoIdentity } from '#platform/cognito';
import { endpoint } from '#platform/http';
import { authRoutes } from './routes';

export const handler = endpoint(authRoutes.token, async ({ body }, reply) => {
  const tokens = await cognitoIdentity.signIn(body.email, body.password);
  return reply(200, {
    access_token: tokens.accessToken,
    refresh_token: tokens.refreshToken,
    id_token: tokens.idToken,
    expires_in: tokens.expiresIn,
    token_type: 'Bearer',
  });
});
