import { deleteImage } from '#core/cars/images';
import { endpoint } from '#platform/http';
import { s3ImageStorage } from '#platform/s3';
import { agencyRoutes } from './routes';

export const handler = endpoint(agencyRoutes.deleteImage, async ({ caller, params, db }, reply) => {
  await deleteImage(db, s3ImageStorage, { agencyId: caller.agencyId, carId: params.id, imageId: params.image_id });
  return reply(204);
});
