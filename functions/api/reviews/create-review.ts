import { createReview } from '#core/reviews/reviews';
import { endpoint } from '#platform/http';
import { reviewRoutes } from './routes';

export const handler = endpoint(reviewRoutes.createReview, async ({ params, body, caller, db }, reply) =>
  reply(201, await createReview(db, caller.userId, params.id, { rating: body.rating, comment: body.comment })),
);
