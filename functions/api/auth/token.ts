import { cognitoIdentity } from '#platform/cognito';
import { endpoint, json } from '#platform/http';
import { authRoutes } from './routes';

export const handler = endpoint(authRoutes.token, async ({ body }) => {
  const tokens = await cognitoIdentity.signIn(body.email, body.password);
  return json(200, {
    access_token: tokens.accessToken,
    refresh_token: tokens.refreshToken,
    id_token: tokens.idToken,
    expires_in: tokens.expiresIn,
    token_type: 'Bearer',
  }, { 'cache-control': 'no-store' });
});
