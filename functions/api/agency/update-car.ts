import { getAgencyCar, updateCar } from '#core/cars/inventory';
import { endpoint, json } from '#platform/http';
import { agencyRoutes } from './routes';
import { agencyOf, carJson } from './shape';

/**
 * PATCH takes any subset of the fields (API.md). The empty subset changes nothing, not even
 * updated_at: it answers the own car as it is (another agency's or a deleted one: 404).
 */
export const handler = endpoint(agencyRoutes.updateCar, async ({ caller, params, body, db }) => {
  const agencyId = agencyOf(caller);
  const car =
    Object.keys(body).length === 0 ? await getAgencyCar(db, agencyId, params.id) : await updateCar(db, agencyId, params.id, body);
  return json(200, carJson(car));
});
