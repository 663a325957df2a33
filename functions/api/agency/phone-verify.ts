import { verifyPhone } from '#core/users/phone-verification';
import { endpoint, json } from '#platform/http';
import { agencyRoutes } from './routes';
import { agencyOf } from './shape';

export const handler = endpoint(agencyRoutes.verifyPhone, async ({ caller, body, db }) =>
  json(200, await verifyPhone(db, { userId: caller.userId, agencyId: agencyOf(caller) }, body.code)),
);
