import { createReview } from '#core/reviews/reviews';
import { getDb } from '#platform/db';
import { endpoint, json } from '#platform/http';
import { reviewRoutes } from './routes';

export const handler = endpoint(reviewRoutes.createReview, async ({ params, body, caller }) =>
  json(201, await createReview(getDb(), caller.userId, params.id, { rating: body.rating, comment: body.comment })),
);
