import { listAgencyReviews, publicReviewJson } from '#core/reviews/reviews';
import { getDb } from '#platform/db';
import { endpoint, json } from '#platform/http';
import { decodeCursor, pageFrom } from '#platform/pagination';
import { reviewRoutes } from './routes';

export const handler = endpoint(reviewRoutes.listAgencyReviews, async ({ params, query }) => {
  const after = decodeCursor(query.cursor, ['string', 'string']) as [string, string] | undefined;
  const rows = await listAgencyReviews(getDb(), params.id, { limit: query.limit, after });
  return json(200, pageFrom(rows, query.limit, publicReviewJson, (row) => [row.position, row.id]));
});
