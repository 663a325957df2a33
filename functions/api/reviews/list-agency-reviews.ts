import { listAgencyReviews, publicReviewJson } from '#core/reviews/reviews';
import { endpoint, json } from '#platform/http';
import { decodeCursor, pageFrom } from '#platform/pagination';
import { reviewRoutes } from './routes';

export const handler = endpoint(reviewRoutes.listAgencyReviews, async ({ params, query, db }) => {
  const after = decodeCursor(query.cursor, ['timestamp', 'uuid']);
  const rows = await listAgencyReviews(db, params.id, { limit: query.limit, after });
  return json(200, pageFrom(rows, query.limit, publicReviewJson, (row) => [row.position, row.id]));
});
