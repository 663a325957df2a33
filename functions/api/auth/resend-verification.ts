import { resendEmailCode } from '#core/users/email-verification';
import { endpoint } from '#platform/http';
import { authRoutes } from './routes';

export const handler = endpoint(authRoutes.resendVerification, async ({ body, db }) => {
  await resendEmailCode(db, { email: body.email });
  return { status: 202 };
});
