import { requestPhoneCode } from '#core/users/phone-verification';
import { endpoint, json } from '#platform/http';
import { agencyRoutes } from './routes';
import { agencyOf } from './shape';

export const handler = endpoint(agencyRoutes.requestPhoneVerification, async ({ caller, db }) =>
  json(202, await requestPhoneCode(db, { userId: caller.userId, agencyId: agencyOf(caller) })),
);
