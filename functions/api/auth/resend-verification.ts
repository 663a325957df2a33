import { resendEmailCode } from '#core/users/email-verification';
import { endpoint } from '#platform/http';
import { authRoutes } from './routes';

export const handler = endpoint(authRoutes.resendVerification, async ({ body, db }, reply) => {
  await resendEmailCode(db, { email: body.email });
  return reply(202);
});
