import { verifyPhone } from '#core/users/phone-verification';
import { endpoint } from '#platform/http';
import { agencyRoutes } from './routes';

export const handler = endpoint(agencyRoutes.verifyPhone, async ({ caller, body, db }, reply) =>
  reply(200, await verifyPhone(db, { userId: caller.userId, agencyId: caller.agencyId }, body.code)),
);
