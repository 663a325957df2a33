import { endpoint, json } from '#platform/http';
import { authRoutes } from './routes';

export const handler = endpoint(authRoutes.me, async ({ caller }) =>
  json(200, {
    id: caller.userId,
    email: caller.email,
    full_name: caller.fullName,
    role: caller.role,
    email_verified: caller.emailVerified,
    ...(caller.agencyId ? { agency: { id: caller.agencyId, name: caller.agencyName } } : {}),
  }),
);
