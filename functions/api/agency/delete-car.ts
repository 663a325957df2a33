import { deleteCar } from '#core/cars/inventory';
import { endpoint } from '#platform/http';
import { s3ImageStorage } from '#platform/s3';
import { agencyRoutes } from './routes';

export const handler = endpoint(agencyRoutes.deleteCar, async ({ caller, params, db }, reply) => {
  await deleteCar(db, s3ImageStorage, caller.agencyId, params.id);
  return reply(204);
});
