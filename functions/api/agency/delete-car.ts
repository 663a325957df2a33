import { deleteCar } from '#core/cars/inventory';
import { getDb } from '#platform/db';
import { endpoint, noContent } from '#platform/http';
import { s3ImageStorage } from '#platform/s3';
import { agencyRoutes } from './routes';
import { agencyOf } from './shape';

export const handler = endpoint(agencyRoutes.deleteCar, async ({ caller, params }) => {
  await deleteCar(getDb(), s3ImageStorage, agencyOf(caller), params.id);
  return noContent();
});
