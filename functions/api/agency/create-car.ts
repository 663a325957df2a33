import { createCar } from '#core/cars/inventory';
import { endpoint } from '#platform/http';
import { API_PREFIX } from '#platform/route';
import { agencyRoutes } from './routes';
import { carJson } from './shape';

export const handler = endpoint(agencyRoutes.createCar, async ({ caller, body, db }, reply) => {
  const car = await createCar(db, caller.agencyId, body);
  return reply(201, carJson(car), { location: `${API_PREFIX}/agency/cars/${car.id}/` });
});
