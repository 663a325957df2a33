import { getAgencyCar } from '#core/cars/inventory';
import { endpoint, json } from '#platform/http';
import { agencyRoutes } from './routes';
import { agencyOf, carJson } from './shape';

export const handler = endpoint(agencyRoutes.getCar, async ({ caller, params, db }) =>
  json(200, carJson(await getAgencyCar(db, agencyOf(caller), params.id))),
);
