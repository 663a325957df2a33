import { createCar } from '#core/cars/inventory';
import { endpoint, json } from '#platform/http';
import { agencyRoutes } from './routes';
import { agencyOf, carJson } from './shape';

export const handler = endpoint(agencyRoutes.createCar, async ({ caller, body, db }) =>
  json(201, carJson(await createCar(db, agencyOf(caller), body))),
);
