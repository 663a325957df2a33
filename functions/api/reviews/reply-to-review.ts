import { NotFound } from '#core/errors';
import { replyToReview } from '#core/reviews/reviews';
import { endpoint, json } from '#platform/http';
import { reviewRoutes } from './routes';

export const handler = endpoint(reviewRoutes.replyToReview, async ({ params, body, caller, db }) => {
  const agencyId = params.id.toLowerCase();
  // Another agency's reviews are "not found", never "forbidden".
  if (agencyId !== caller.agencyId) throw new NotFound('No review of your agency with this id.');
  return json(200, await replyToReview(db, agencyId, params.review_id, body.reply));
});
