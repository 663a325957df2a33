import { deleteImage } from '#core/cars/images';
import { endpoint, noContent } from '#platform/http';
import { s3ImageStorage } from '#platform/s3';
import { agencyRoutes } from './routes';
import { agencyOf } from './shape';

export const handler = endpoint(agencyRoutes.deleteImage, async ({ caller, params, db }) => {
  await deleteImage(db, s3ImageStorage, { agencyId: agencyOf(caller), carId: params.id, imageId: params.image_id });
  return noContent();
});
