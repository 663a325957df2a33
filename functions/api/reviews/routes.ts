import * as z from 'zod';
import { PageQuery } from '#platform/pagination';
import { PublicReviewJson, ReviewJson } from '#core/reviews/shape';
import { defineRoute } from '#platform/route';
import { IdParams, pageOf, Uuid } from '#platform/schemas';

/** Review comments and replies: at most 2,000 characters (the API contract's limit). */
const MAX_REVIEW_TEXT = 2000;

export const CreateReviewBody = z
  .strictObject({
    rating: z.number({ message: 'must be a whole number from 1 to 5' }).int('must be a whole number from 1 to 5').min(1).max(5),
    comment: z.string().trim().max(MAX_REVIEW_TEXT, `must be at most ${MAX_REVIEW_TEXT} characters`).default(''),
  })
  .meta({ id: 'CreateReviewRequest' });

export const ReplyBody = z
  .strictObject({ reply: z.string().trim().min(1, 'must not be empty').max(MAX_REVIEW_TEXT, `must be at most ${MAX_REVIEW_TEXT} characters`) })
  .meta({ id: 'ReviewReplyRequest' });

export const reviewRoutes = {
  createReview: defineRoute({
    method: 'POST',
    path: '/bookings/{id}/review/',
    handler: 'api/reviews/create-review',
    access: 'customer',
    database: 'write',
    summary: 'Review one of your completed rentals',
    description: 'Once per booking, for a completed rental whose deposit was paid through the platform. The agency’s rating follows at once.',
    tags: ['Reviews'],
    params: IdParams,
    body: CreateReviewBody,
    responses: {
      201: { description: 'The review', schema: ReviewJson },
      404: { description: 'No booking of yours with this id' },
      409: { description: 'The booking is not completed, its deposit was never paid through the platform, or it was reviewed already' },
    },
  }),
  listAgencyReviews: defineRoute({
    method: 'GET',
    path: '/agencies/{id}/reviews/',
    handler: 'api/reviews/list-agency-reviews',
    cacheSeconds: 30,
    access: 'public',
    database: 'read',
    summary: "An agency's reviews, newest first",
    tags: ['Reviews'],
    params: IdParams,
    query: PageQuery,
    responses: {
      200: { description: 'A page of reviews', schema: pageOf(PublicReviewJson, 'PublicReviewPage') },
      404: { description: 'No such agency' },
    },
  }),
  replyToReview: defineRoute({
    method: 'POST',
    path: '/agencies/{id}/reviews/{review_id}/reply/',
    handler: 'api/reviews/reply-to-review',
    access: 'agency_admin',
    database: 'write',
    summary: 'Reply to a review of your agency (once)',
    tags: ['Reviews'],
    params: z.object({ id: Uuid, review_id: Uuid }),
    body: ReplyBody,
    responses: {
      200: { description: 'The review with its reply', schema: ReviewJson },
      404: { description: 'Not your agency, or no review of it with this id' },
      409: { description: 'The review has a reply already' },
    },
  }),
};
