import { NotFound } from '#core/errors';
import { replyToReview } from '#core/reviews/reviews';
import { endpoint } from '#platform/http';
import { reviewRoutes } from './routes';

export const handler = endpoint(reviewRoutes.replyToReview, async ({ params, body, caller, db }, reply) => {
  const agencyId = params.id.toLowerCase();
  // Another agency's reviews are "not found", never "forbidden".
  if (agencyId !== caller.agencyId) throw new NotFound('No review of your agency with this id.');
  return reply(200, await replyToReview(db, agencyId, params.review_id, body.reply));
});
