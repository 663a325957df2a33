import { getOpeningHours } from '#core/rules/agency-terms';
import { endpoint } from '#platform/http';
import { agencyRoutes } from './routes';

export const handler = endpoint(agencyRoutes.getOpeningHours, async ({ caller, db }, reply) => reply(200, await getOpeningHours(db, caller.agencyId)));
