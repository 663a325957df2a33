import { deleteCar } from '#core/cars/inventory';
import { endpoint, noContent } from '#platform/http';
import { s3ImageStorage } from '#platform/s3';
import { agencyRoutes } from './routes';
import { agencyOf } from './shape';

export const handler = endpoint(agencyRoutes.deleteCar, async ({ caller, params, db }) => {
  await deleteCar(db, s3ImageStorage, agencyOf(caller), params.id);
  return noContent();
});
