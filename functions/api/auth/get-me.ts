import { endpoint } from '#platform/http';
import { authRoutes } from './routes';

export const handler = endpoint(authRoutes.me, async ({ caller }, reply) =>
  reply(200, {
    id: caller.userId,
    email: caller.email,
    full_name: caller.fullName,
    role: caller.role,
    email_verified: caller.emailVerified,
    ...(caller.agencyId && caller.agencyName !== null ? { agency: { id: caller.agencyId, name: caller.agencyName } } : {}),
  }),
);
