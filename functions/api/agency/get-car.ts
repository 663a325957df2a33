import { getAgencyCar } from '#core/cars/inventory';
import { getDb } from '#platform/db';
import { endpoint, json } from '#platform/http';
import { agencyRoutes } from './routes';
import { agencyOf, carJson } from './shape';

export const handler = endpoint(agencyRoutes.getCar, async ({ caller, params }) =>
  json(200, carJson(await getAgencyCar(getDb(), agencyOf(caller), params.id))),
);
