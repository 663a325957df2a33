import { createReview } from '#core/reviews/reviews';
import { endpoint, json } from '#platform/http';
import { reviewRoutes } from './routes';

export const handler = endpoint(reviewRoutes.createReview, async ({ params, body, caller, db }) =>
  json(201, await createReview(db, caller.userId, params.id, { rating: body.rating, comment: body.comment })),
);
