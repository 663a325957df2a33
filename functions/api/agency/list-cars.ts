import { listAgencyCars } from '#core/cars/inventory';
import { endpoint } from '#platform/http';
import { agencyRoutes } from './routes';
import { carJson } from './shape';

export const handler = endpoint(agencyRoutes.listCars, async ({ caller, query, db }, reply) =>
  reply(200, await listAgencyCars(db, caller.agencyId, query, carJson)),
);
