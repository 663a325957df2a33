import { getDeliveryOptions } from '#core/rules/agency-terms';
import { endpoint } from '#platform/http';
import { agencyRoutes } from './routes';

export const handler = endpoint(agencyRoutes.getDeliveryOptions, async ({ caller, db }, reply) => reply(200, await getDeliveryOptions(db, caller.agencyId)));
