import { createCar } from '#core/cars/inventory';
import { getDb } from '#platform/db';
import { endpoint, json } from '#platform/http';
import { agencyRoutes } from './routes';
import { agencyOf, carJson } from './shape';

export const handler = endpoint(agencyRoutes.createCar, async ({ caller, body }) =>
  json(201, carJson(await createCar(getDb(), agencyOf(caller), body))),
);
