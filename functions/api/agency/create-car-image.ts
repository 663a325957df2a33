import { createImageUpload } from '#core/cars/images';
import { endpoint } from '#platform/http';
import { s3ImageStorage } from '#platform/s3';
import { agencyRoutes } from './routes';

export const handler = endpoint(agencyRoutes.createImageUpload, async ({ caller, params, body, db }, reply) => {
  const upload = await createImageUpload(db, s3ImageStorage, {
    agencyId: caller.agencyId,
    carId: params.id,
    contentType: body.content_type,
    contentLength: body.content_length,
  });
  return reply(201, {
    id: upload.id,
    status: 'pending',
    upload: { method: 'PUT', url: upload.url, headers: upload.headers },
    expires_at: upload.expiresAt.toISOString(),
  });
});
