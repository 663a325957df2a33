import { listAgencyReviews } from '#core/reviews/reviews';
import { endpoint } from '#platform/http';
import { reviewRoutes } from './routes';

export const handler = endpoint(reviewRoutes.listAgencyReviews, async ({ params, query, db }, reply) =>
  reply(200, await listAgencyReviews(db, params.id, query)),
);
