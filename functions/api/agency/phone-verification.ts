import { requestPhoneCode } from '#core/users/phone-verification';
import { endpoint } from '#platform/http';
import { agencyRoutes } from './routes';

export const handler = endpoint(agencyRoutes.requestPhoneVerification, async ({ caller, db }, reply) =>
  reply(202, await requestPhoneCode(db, { userId: caller.userId, agencyId: caller.agencyId })),
);
