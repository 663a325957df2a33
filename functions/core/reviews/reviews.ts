import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database } from '../database';
import { Conflict, NotFound } from '../errors';
import { enqueueNotification } from '../notifications/outbox';
import { keysetPage, pageFrom, pagePosition, type Page, type PageRequest, type SortKey } from '../pagination';
import { selectBookingsWithParties } from '../reservations/repository';
import type { ReviewPayload } from '../notifications/templates';
import type { PublicReviewJson, ReviewJson } from './shape';
import type { ReviewsTable } from './table';

/**
 * Reviews: a customer reviews a completed booking once; the agency's rating_average and
 * review_count follow in the same transaction (the reviews_agency_rating trigger, exact under
 * concurrent reviews); the agency may reply once. The one-review-per-booking rule is the
 * UNIQUE constraint on reviews.reservation_id, so two concurrent attempts cannot both win.
 */

export type Review = Selectable<ReviewsTable>;

export const reviewJson = (row: Review): ReviewJson => ({
  id: row.id,
  booking_id: row.reservation_id,
  agency_id: row.agency_id,
  rating: row.rating,
  comment: row.comment,
  created_at: row.created_at.toISOString(),
  reply: row.reply,
  replied_at: row.replied_at?.toISOString() ?? null,
  verified_rental: row.verified_rental,
});

/**
 * How a reviewer is shown in public: first name and the initial of the last ("Somchai K."),
 * never the full name or email.
 */
export function publicName(fullName: string): string {
  const parts = fullName.trim().split(/\s+/).filter(Boolean);
  const [first, ...rest] = parts;
  if (!first) return 'Guest';
  const last = rest.at(-1);
  return last ? `${first} ${[...last][0]!.toUpperCase()}.` : first;
}

const isDuplicateReview = (error: unknown) => {
  const pgError = error as { code?: string; constraint?: string } | null;
  return pgError?.code === '23505' && pgError.constraint === 'reviews_reservation_id_key';
};

/**
 * The customer reviews their own completed booking whose deposit was paid through the platform
 * (on or after its end date, or returned early): 404 for a booking that is not theirs, 409 if
 * it is not completed, was never paid here, or was reviewed already (also when a concurrent request won:
 * the unique index makes the loser wait and then fail with 23505). The agency admin gets a
 * review_received notification, committed with the review.
 */
export async function createReview(
  db: Kysely<Database>,
  customerId: string,
  bookingId: string,
  input: { rating: number; comment: string },
): Promise<ReviewJson> {
  return db.transaction().execute(async (trx) => {
    const booking = await selectBookingsWithParties(trx)
      .select([
        'reservations.status',
        'reservations.deposit_paid_at',
        'agencies.id as agency_id',
        'agencies.admin_user_id',
        'agencies.name as agency_name',
        'admin.email as agency_email',
        'customer.full_name as customer_name',
      ])
      .where('reservations.id', '=', bookingId)
      .where('reservations.customer_id', '=', customerId)
      .executeTakeFirst();
    if (!booking) throw new NotFound('No booking of yours with this id.');
    if (booking.status !== 'completed') {
      throw new Conflict(`Only a completed booking can be reviewed; this one is ${booking.status}.`);
    }
    // Reviews are of real, paid rentals: a booking the agency confirmed without a payment (its
    // own sock puppets', say) and then completed cannot rate it. The reviews_match_reservation
    // trigger says the same in the database.
    if (!booking.deposit_paid_at) {
      throw new Conflict('Only a rental whose deposit was paid through the platform can be reviewed; this one was never paid here.');
    }
    if (booking.admin_user_id === customerId) throw new Conflict("An agency's own admin cannot review it.");
    let review: Review;
    try {
      review = await trx
        .insertInto('reviews')
        .values({ reservation_id: bookingId, agency_id: booking.agency_id, customer_id: customerId, rating: input.rating, comment: input.comment })
        .returningAll()
        .executeTakeFirstOrThrow();
    } catch (error) {
      if (isDuplicateReview(error)) throw new Conflict('This booking has been reviewed already.', { cause: error });
      throw error;
    }
    const payload: ReviewPayload = {
      review_id: review.id,
      booking_id: bookingId,
      agency_name: booking.agency_name,
      rating: review.rating,
      comment: review.comment,
      customer_name: publicName(booking.customer_name),
    };
    await enqueueNotification(trx, {
      kind: 'review_received',
      recipient: booking.agency_email,
      reservationId: bookingId,
      payload: { ...payload },
      dedupeKey: `review_received:${review.id}`,
    });
    return reviewJson(review);
  });
}

export interface AgencyReviewRow {
  id: string;
  rating: number;
  comment: string;
  reply: string | null;
  replied_at: Date | null;
  created_at: Date;
  verified_rental: boolean;
  customer_full_name: string;
}

/** An agency's reviews in public: newest first; created_at alone is not unique. */
const NEWEST_FIRST: SortKey[] = [
  { expression: sql.ref('reviews.created_at'), direction: 'desc', type: 'timestamptz' },
  { expression: sql.ref('reviews.id'), direction: 'desc', type: 'uuid' },
];

/** A page of an agency's reviews as the public sees them, newest first; 404 for an unknown agency. */
export async function listAgencyReviews(db: Kysely<Database>, agencyId: string, page: PageRequest): Promise<Page<PublicReviewJson>> {
  const position = pagePosition(NEWEST_FIRST, page);
  const agency = await db.selectFrom('agencies').select('id').where('id', '=', agencyId).executeTakeFirst();
  if (!agency) throw new NotFound('No agency with this id.');
  const query = db
    .selectFrom('reviews')
    .innerJoin('users', 'users.id', 'reviews.customer_id')
    .select([
      'reviews.id',
      'reviews.rating',
      'reviews.comment',
      'reviews.reply',
      'reviews.replied_at',
      'reviews.created_at',
      'reviews.verified_rental',
      'users.full_name as customer_full_name',
    ])
    .where('reviews.agency_id', '=', agencyId);
  return pageFrom(await keysetPage(query, position).execute(), position, publicReviewJson);
}

export const publicReviewJson = (row: AgencyReviewRow): PublicReviewJson => ({
  id: row.id,
  rating: row.rating,
  comment: row.comment,
  created_at: row.created_at.toISOString(),
  customer_name: publicName(row.customer_full_name),
  reply: row.reply,
  replied_at: row.replied_at?.toISOString() ?? null,
  verified_rental: row.verified_rental,
});

/**
 * The agency replies to a review of its own, once: one conditional UPDATE (… AND reply IS
 * NULL), so of two concurrent replies exactly one lands. 404 for a review of another agency.
 */
export async function replyToReview(db: Kysely<Database>, agencyId: string, reviewId: string, reply: string): Promise<ReviewJson> {
  const updated = await db
    .updateTable('reviews')
    .set({ reply, replied_at: sql<Date>`now()` })
    .where('id', '=', reviewId)
    .where('agency_id', '=', agencyId)
    .where('reply', 'is', null)
    .returningAll()
    .executeTakeFirst();
  if (updated) return reviewJson(updated);
  const existing = await db.selectFrom('reviews').select('id').where('id', '=', reviewId).where('agency_id', '=', agencyId).executeTakeFirst();
  if (!existing) throw new NotFound('No review of your agency with this id.');
  throw new Conflict('This review has a reply already; an agency replies once.');
}
