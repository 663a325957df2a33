import { getAgencyCar, updateCar } from '#core/cars/inventory';
import { endpoint } from '#platform/http';
import { agencyRoutes } from './routes';
import { carJson } from './shape';

/**
 * PATCH takes any subset of the fields (the API contract). The empty subset changes nothing, not even
 * updated_at: it answers the own car as it is (another agency's or a deleted one: 404).
 */
export const handler = endpoint(agencyRoutes.updateCar, async ({ caller, params, body, db }, reply) => {
  const agencyId = caller.agencyId;
  const car = Object.keys(body).length === 0 ? await getAgencyCar(db, agencyId, params.id) : await updateCar(db, agencyId, params.id, body);
  return reply(200, carJson(car));
});
