import { getAgencyProfile } from '#core/search/agency-profile';
import { endpoint } from '#platform/http';
import { searchRoutes } from './routes';

export const handler = endpoint(searchRoutes.getAgency, async ({ params, db }, reply) => reply(200, await getAgencyProfile(db, params.id)));
