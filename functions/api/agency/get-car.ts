import { getAgencyCar } from '#core/cars/inventory';
import { endpoint } from '#platform/http';
import { agencyRoutes } from './routes';
import { carJson } from './shape';

export const handler = endpoint(agencyRoutes.getCar, async ({ caller, params, db }, reply) =>
  reply(200, carJson(await getAgencyCar(db, caller.agencyId, params.id))),
);
