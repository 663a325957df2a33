import { replaceDeliveryOptions } from '#core/rules/agency-terms';
import { endpoint } from '#platform/http';
import { agencyRoutes } from './routes';

export const handler = endpoint(agencyRoutes.updateDeliveryOptions, async ({ caller, body, db }, reply) =>
  reply(200, await replaceDeliveryOptions(db, caller.agencyId, body)),
);
