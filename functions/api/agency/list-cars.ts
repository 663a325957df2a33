import { listAgencyCars } from '#core/cars/inventory';
import { endpoint, json } from '#platform/http';
import { decodeCursor, pageFrom } from '#platform/pagination';
import { agencyRoutes } from './routes';
import { agencyOf, carJson } from './shape';

export const handler = endpoint(agencyRoutes.listCars, async ({ caller, query, db }) => {
  const after = decodeCursor(query.cursor, ['timestamp', 'uuid']);
  // One row more than the page tells whether there is a next one.
  const cars = await listAgencyCars(db, agencyOf(caller), {
    limit: query.limit + 1,
    ...(after ? { after: { createdAt: after[0], id: after[1] } } : {}),
  });
  return json(200, pageFrom(cars, query.limit, carJson, (car) => [car.cursor.createdAt, car.cursor.id]));
});
