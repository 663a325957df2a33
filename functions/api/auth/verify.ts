import { verifyEmail } from '#core/users/email-verification';
import { cognitoIdentity } from '#platform/cognito';
import { endpoint } from '#platform/http';
import { authRoutes } from './routes';

export const handler = endpoint(authRoutes.verify, async ({ body, db }, reply) =>
  reply(200, { user: await verifyEmail(db, cognitoIdentity, { email: body.email, code: body.code }) }),
);
