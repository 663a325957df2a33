import { cognitoIdentity } from '#platform/cognito';
import { endpoint } from '#platform/http';
import { authRoutes } from './routes';

export const handler = endpoint(authRoutes.refresh, async ({ body }, reply) => {
  const tokens = await cognitoIdentity.refresh(body.refresh_token);
  return reply(200, {
    access_token: tokens.accessToken,
    id_token: tokens.idToken,
    expires_in: tokens.expiresIn,
    token_type: 'Bearer',
  });
});
