import { createImageUpload } from '#core/cars/images';
import { endpoint, json } from '#platform/http';
import { s3ImageStorage } from '#platform/s3';
import { agencyRoutes } from './routes';
import { agencyOf } from './shape';

export const handler = endpoint(agencyRoutes.createImageUpload, async ({ caller, params, body, db }) => {
  const upload = await createImageUpload(db, s3ImageStorage, {
    agencyId: agencyOf(caller),
    carId: params.id,
    contentType: body.content_type,
    contentLength: body.content_length,
  });
  return json(201, {
    id: upload.id,
    status: 'pending',
    upload: { method: 'PUT', url: upload.url, headers: upload.headers },
    expires_at: upload.expiresAt.toISOString(),
  });
});
