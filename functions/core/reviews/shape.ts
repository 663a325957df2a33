import * as z from 'zod';
import { Instant } from '../json';

/** Reviews as the API shows them: to their author and the agency (ReviewJson), and to the public (PublicReviewJson). */

const VerifiedRental = z.boolean().meta({
  description:
    'The review is of a rental whose deposit was paid through the platform and which was completed (true for every review written since this rule; older reviews may say false)',
});

const Rating = z.number().int().min(1).max(5);

export const ReviewJson = z
  .object({
    id: z.uuid(),
    booking_id: z.uuid(),
    agency_id: z.uuid(),
    rating: Rating,
    comment: z.string(),
    created_at: Instant,
    reply: z.string().nullable(),
    replied_at: Instant.nullable(),
    verified_rental: VerifiedRental,
  })
  .meta({ id: 'Review' });
export type ReviewJson = z.infer<typeof ReviewJson>;

export const PublicReviewJson = z
  .object({
    id: z.uuid(),
    rating: Rating,
    comment: z.string(),
    created_at: Instant,
    customer_name: z.string().meta({ description: 'First name and last initial, e.g. "Somchai K."' }),
    reply: z.string().nullable(),
    replied_at: Instant.nullable(),
    verified_rental: VerifiedRental,
  })
  .meta({ id: 'PublicReview' });
export type PublicReviewJson = z.infer<typeof PublicReviewJson>;
