import { getAgencyProfile } from '#core/search/agency-profile';
import { getDb } from '#platform/db';
import { endpoint, json } from '#platform/http';
import { searchRoutes } from './routes';

export const handler = endpoint(searchRoutes.getAgency, async ({ params }) => json(200, await getAgencyProfile(getDb(), params.id)));
