import { NotFound } from '#core/errors';
import { replyToReview } from '#core/reviews/reviews';
import { getDb } from '#platform/db';
import { endpoint, json } from '#platform/http';
import { reviewRoutes } from './routes';

export const handler = endpoint(reviewRoutes.replyToReview, async ({ params, body, caller }) => {
  const agencyId = params.id.toLowerCase();
  // Another agency's reviews are "not found", never "forbidden".
  if (agencyId !== caller.agencyId) throw new NotFound('No review of your agency with this id.');
  return json(200, await replyToReview(getDb(), agencyId, params.review_id, body.reply));
});
