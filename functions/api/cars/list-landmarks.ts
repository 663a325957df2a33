import { listLandmarks } from '#core/geo/landmarks';
import { endpoint, json } from '#platform/http';
import { decodeCursor, pageFrom } from '#platform/pagination';
import { searchRoutes } from './routes';

export const handler = endpoint(searchRoutes.listLandmarks, async ({ query, db }) => {
  const after = decodeCursor(query.cursor, ['text']);
  const rows = await listLandmarks(db, { limit: query.limit + 1, after: after?.[0] as string | undefined });
  return json(200, pageFrom(rows, query.limit, (landmark) => landmark, (landmark) => [landmark.slug]));
});
