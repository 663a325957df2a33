import { confirmImage } from '#core/cars/images';
import { endpoint, json } from '#platform/http';
import { s3ImageStorage } from '#platform/s3';
import { agencyRoutes } from './routes';
import { agencyOf, imageJson } from './shape';

export const handler = endpoint(agencyRoutes.confirmImage, async ({ caller, params, db }) => {
  const image = await confirmImage(db, s3ImageStorage, { agencyId: agencyOf(caller), carId: params.id, imageId: params.image_id });
  return json(200, { ...imageJson(image), status: 'ready' });
});
