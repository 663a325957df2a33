import { confirmImage } from '#core/cars/images';
import { endpoint } from '#platform/http';
import { s3ImageStorage } from '#platform/s3';
import { agencyRoutes } from './routes';
import { imageJson } from './shape';

export const handler = endpoint(agencyRoutes.confirmImage, async ({ caller, params, db }, reply) => {
  const image = await confirmImage(db, s3ImageStorage, { agencyId: caller.agencyId, carId: params.id, imageId: params.image_id });
  return reply(200, { ...imageJson(image), status: 'ready' });
});
