import { listLandmarks } from '#core/geo/landmarks';
import { endpoint } from '#platform/http';
import { searchRoutes } from './routes';

export const handler = endpoint(searchRoutes.listLandmarks, async ({ query, db }, reply) => reply(200, await listLandmarks(db, query)));
