import { listAgencyCars } from '#core/cars/inventory';
import { getDb } from '#platform/db';
import { endpoint, json } from '#platform/http';
import { decodeCursor, pageFrom } from '#platform/pagination';
import { agencyRoutes } from './routes';
import { agencyOf, carJson } from './shape';

export const handler = endpoint(agencyRoutes.listCars, async ({ caller, query }) => {
  const after = decodeCursor(query.cursor, ['string', 'string']) as [string, string] | undefined;
  // One row more than the page tells whether there is a next one.
  const cars = await listAgencyCars(getDb(), agencyOf(caller), {
    limit: query.limit + 1,
    ...(after ? { after: { createdAt: after[0], id: after[1] } } : {}),
  });
  return json(200, pageFrom(cars, query.limit, carJson, (car) => [car.cursor.createdAt, car.cursor.id]));
});
