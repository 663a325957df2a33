import { updateCar } from '#core/cars/inventory';
import { getDb } from '#platform/db';
import { endpoint, json } from '#platform/http';
import { agencyRoutes } from './routes';
import { agencyOf, carJson } from './shape';

export const handler = endpoint(agencyRoutes.updateCar, async ({ caller, params, body }) =>
  json(200, carJson(await updateCar(getDb(), agencyOf(caller), params.id, body))),
);
