import * as z from 'zod';
import { AgencyBookingJson, BlockJson, BookingJson, CancelledBookingJson, CreatedBookingJson } from '#core/bookings/shape';
import { HandOverTime } from '#core/json';
import { PAYMENT_EVENT_OUTCOMES } from '#core/payments/webhook';
import { DEFAULT_HAND_OVER_TIME, RENTAL_RULES } from '#core/pricing/terms';
import { RESERVATION_STATUSES } from '#core/reservations/table';
import { PageQuery } from '#platform/pagination';
import { defineRoute } from '#platform/route';
import { IdParams, IsoDate, ProblemSchema, pageOf, Uuid } from '#platform/schemas';

const Status = z.enum(RESERVATION_STATUSES);

/** The 429 of a booking over the customer's limits: which limit, and its value. */
const HoldLimitProblem = ProblemSchema.extend({
  limit: z
    .enum(['unpaid_holds', 'bookings_per_hour'])
    .meta({ description: 'unpaid_holds: unpaid bookings held at once; bookings_per_hour: bookings made in the last hour' }),
  max: z.number().int().meta({ description: 'The limit reached' }),
}).meta({ id: 'HoldLimitProblem' });

/** A booking's 409: taken dates, a key reused, or (type rental-rule) one of the car's rules, named by `rule`. */
const BookingConflictProblem = ProblemSchema.extend({
  rule: z.enum(RENTAL_RULES).optional().meta({ description: 'Only for problem type rental-rule: the rule the request breaks' }),
}).meta({ id: 'BookingConflictProblem' });

/** A hand-over's place: a landmark slug (GET /landmarks/), or null for the agency's own address. */
const HandOverPlace = z
  .string()
  .min(1)
  .max(100)
  .nullable()
  .meta({ description: 'A landmark slug (GET /landmarks/) the agency delivers to or collects from; null or absent: the agency’s own address, free' });

export const CreateBookingBody = z
  .strictObject({
    car_id: Uuid,
    start_date: IsoDate,
    end_date: IsoDate,
    pickup_time: HandOverTime.optional().meta({ description: `HH:MM in Asia/Bangkok on start_date, 00:00–23:59; default ${DEFAULT_HAND_OVER_TIME}` }),
    return_time: HandOverTime.optional().meta({ description: `HH:MM in Asia/Bangkok on end_date, 00:00–23:59; default ${DEFAULT_HAND_OVER_TIME}` }),
    pickup_landmark: HandOverPlace.optional(),
    return_landmark: HandOverPlace.optional(),
  })
  .meta({ id: 'CreateBookingRequest', description: 'Prices are computed on the server; sending any is a 400.' });

const BookingIdParams = IdParams;

const IDEMPOTENCY_KEY_ADVICE = 'a new UUID for each booking attempt, the same one on its retries';

export const bookingRoutes = {
  createBooking: defineRoute({
    method: 'POST',
    path: '/bookings/',
    throttle: 'booking',
    handler: 'api/bookings/create-booking',
    access: 'customer',
    database: 'write',
    uses: ['payments'],
    summary: 'Book a car for inclusive dates',
    description:
      'Holds the dates for 15 minutes (`expires_at`) until the deposit is paid through the returned PaymentIntent (`payment.client_secret`, with Stripe.js); unpaid, the hold expires and the dates free up. ' +
      'Prices are computed on the server from the car’s terms now (its daily and season rates, length discount, delivery and after-hours fees) and stored on the booking with their breakdown. ' +
      'The car’s rules are checked first: minimum rental days, notice before pick-up, how far ahead, the places the agency delivers to, and its opening hours (a hand-over outside them costs the after-hours fee, or is refused if the agency offers none). ' +
      'Send a fresh `Idempotency-Key` per booking attempt, and the same one when retrying it (after a timeout or a 503): the retry answers the same booking.',
    tags: ['Bookings'],
    requestHeaders: z.object({
      'Idempotency-Key': z
        // Said in full when absent: "is required" alone does not tell a client what to send.
        .string({ error: (issue) => (issue.input === undefined ? `is required: ${IDEMPOTENCY_KEY_ADVICE}` : undefined) })
        .regex(/^[\x21-\x7e]{1,255}$/, 'must be 1–255 visible ASCII characters')
        .meta({ description: `1–255 visible ASCII characters: ${IDEMPOTENCY_KEY_ADVICE}` }),
    }),
    body: CreateBookingBody,
    responses: {
      201: {
        description:
          'The pending booking and its deposit PaymentIntent. A replay of the same Idempotency-Key and body answers the stored 201 as it was (header Idempotent-Replayed: true), even after the dates started or the car changed',
        schema: CreatedBookingJson,
        headers: ['Location', 'Idempotent-Replayed'],
      },
      404: { description: 'No such published car' },
      409: {
        description:
          "The dates are no longer available (the car's turnaround days after each rental included), the request breaks one of the car's rental rules (problem type `rental-rule`, with `rule`), the Idempotency-Key was used with another body, or the car's deposit is below the THB 10 minimum (older data)",
        schema: BookingConflictProblem,
      },
      429: {
        description:
          'The customer already holds the most unpaid bookings at once (default 2), or made the most bookings allowed in the last hour (default 6). Retry-After says when a slot frees up; the problem names the limit (`limit`, `max`).',
        schema: HoldLimitProblem,
      },
    },
  }),
  listBookings: defineRoute({
    method: 'GET',
    path: '/bookings/',
    handler: 'api/bookings/list-bookings',
    access: 'customer',
    database: 'write',
    summary: "The caller's own bookings, newest first",
    tags: ['Bookings'],
    query: PageQuery.extend({ status: Status.optional() }),
    responses: { 200: { description: 'A page of bookings', schema: pageOf(BookingJson, 'BookingPage') } },
  }),
  getBooking: defineRoute({
    method: 'GET',
    path: '/bookings/{id}/',
    handler: 'api/bookings/get-booking',
    access: 'customer',
    database: 'write',
    summary: 'One of the caller’s bookings',
    tags: ['Bookings'],
    params: BookingIdParams,
    responses: { 200: { description: 'The booking', schema: BookingJson }, 404: { description: 'Not found or not yours' } },
  }),
  cancelBooking: defineRoute({
    method: 'POST',
    path: '/bookings/{id}/cancel/',
    handler: 'api/bookings/cancel-booking',
    access: 'customer',
    database: 'write',
    uses: ['payments'],
    summary: 'Cancel one of your bookings before its start day',
    description:
      'Possible until the day before the start day (Bangkok). The deposit is refunded in full when cancelling 48 hours or more before the start day, not after (`refund` says what is refunded).',
    tags: ['Bookings'],
    params: BookingIdParams,
    responses: {
      200: { description: 'The cancelled booking', schema: CancelledBookingJson },
      404: { description: 'Not found or not yours' },
      409: {
        description:
          'The booking is already cancelled, expired or completed, or its start day has come: a running rental is ended by the agency, not cancelled',
      },
    },
  }),
  agencyListBookings: defineRoute({
    method: 'GET',
    path: '/agency/bookings/',
    handler: 'api/bookings/agency-list-bookings',
    operationId: 'listAgencyBookings',
    access: 'agency_admin',
    database: 'write',
    summary: "Bookings of the caller's cars, by start date",
    tags: ['Agency bookings'],
    query: PageQuery.extend({ status: Status.optional(), car_id: Uuid.optional(), from: IsoDate.optional(), to: IsoDate.optional() }),
    responses: { 200: { description: 'A page of bookings', schema: pageOf(AgencyBookingJson, 'AgencyBookingPage') } },
  }),
  agencyUpdateBooking: defineRoute({
    method: 'PATCH',
    path: '/agency/bookings/{id}/',
    handler: 'api/bookings/agency-update-booking',
    operationId: 'updateAgencyBooking',
    access: 'agency_admin',
    database: 'write',
    uses: ['payments'],
    summary: 'Move a booking of your car along its lifecycle',
    description:
      'Allowed: pending→confirmed, pending→cancelled, confirmed→cancelled, confirmed→completed (on or after start_date). ' +
      'Completing before end_date is an early return: end_date becomes today (Bangkok), booked_end_date keeps the booked end, and only the days after today are freed. ' +
      'Cancelling refunds a paid deposit in full, also for a no-show.',
    tags: ['Agency bookings'],
    params: BookingIdParams,
    body: z.strictObject({ status: Status }).meta({ id: 'BookingStatusChange' }),
    responses: {
      200: { description: 'The updated booking', schema: BookingJson },
      404: { description: 'Not found or not your car' },
      409: { description: 'Illegal transition' },
    },
  }),
  createBlock: defineRoute({
    method: 'POST',
    path: '/agency/cars/{id}/blocks/',
    handler: 'api/bookings/create-block',
    access: 'agency_admin',
    database: 'write',
    // It expires the car's overdue holds first and cancels their PaymentIntents at Stripe.
    uses: ['payments'],
    summary: 'Take a car off the road for inclusive dates',
    description:
      'A maintenance block: the car is unavailable on these days. Blocks follow the same no-overlap rule as bookings (a block over a pending or confirmed booking is a 409).',
    tags: ['Agency bookings'],
    params: IdParams,
    body: z.strictObject({ start_date: IsoDate, end_date: IsoDate, reason: z.string().trim().min(1).max(500) }).meta({ id: 'CreateBlockRequest' }),
    responses: {
      201: { description: 'The block', schema: BlockJson },
      404: { description: 'Not found or not your car' },
      409: { description: 'The dates overlap a booking or another block' },
    },
  }),
  listBlocks: defineRoute({
    method: 'GET',
    path: '/agency/cars/{id}/blocks/',
    handler: 'api/bookings/list-blocks',
    access: 'agency_admin',
    database: 'write',
    summary: "A car's active blocks, by start date",
    tags: ['Agency bookings'],
    params: IdParams,
    query: PageQuery,
    responses: { 200: { description: 'A page of blocks', schema: pageOf(BlockJson, 'BlockPage') }, 404: { description: 'Not found or not your car' } },
  }),
  deleteBlock: defineRoute({
    method: 'DELETE',
    path: '/agency/cars/{id}/blocks/{block_id}/',
    handler: 'api/bookings/delete-block',
    access: 'agency_admin',
    database: 'write',
    summary: 'Put a car back on the road',
    description: 'The block is cancelled and its dates freed.',
    tags: ['Agency bookings'],
    params: z.object({ id: Uuid, block_id: Uuid }),
    responses: { 204: { description: 'Cancelled' }, 404: { description: 'Not found or not your car' } },
  }),
  stripeWebhook: defineRoute({
    method: 'POST',
    path: '/payments/webhook/',
    handler: 'webhooks/stripe',
    access: 'stripe',
    database: 'write',
    uses: ['payments'],
    rawBody: true,
    operationId: 'receiveStripeEvent',
    summary: 'Stripe events',
    description:
      'For Stripe only. The `Stripe-Signature` header is verified over the exact raw body: a bad signature, or one more than 300 s old, is a 400 and changes nothing. ' +
      'Each event id is applied once (a retry of a processed event is a 200 with no effect). `payment_intent.succeeded` for a booking’s deposit confirms it; ' +
      '`payment_intent.payment_failed` or `canceled` cancels a pending booking and frees its dates; other types are a 200 with no effect.',
    tags: ['Payments'],
    requestHeaders: z.object({
      'Stripe-Signature': z.string().meta({ description: 'Stripe’s signature of the raw body: `t=<unix time>,v1=<HMAC-SHA256 hex>`' }),
    }),
    rawBodySchema: z
      .object({
        id: z.string().meta({ description: 'The event id (`evt_…`); each is applied once' }),
        object: z.literal('event'),
        type: z.string().meta({ description: 'e.g. payment_intent.succeeded, payment_intent.payment_failed, payment_intent.canceled' }),
        created: z.number().int(),
        data: z.object({
          object: z
            .looseObject({
              id: z.string().meta({ description: 'The PaymentIntent id (`pi_…`)' }),
              object: z.string(),
              metadata: z.record(z.string(), z.string()).optional(),
            })
            .meta({
              description: 'The object the event is about: for payment_intent.* events the PaymentIntent, whose `metadata.booking_id` names the booking',
            }),
        }),
      })
      .meta({ id: 'StripeEvent', description: 'A Stripe event, as Stripe sends it (only the fields this endpoint reads are listed)' }),
    responses: {
      200: {
        description: 'Received (also for a duplicate, which has no effect)',
        schema: z.object({
          received: z.literal(true),
          outcome: z.enum(PAYMENT_EVENT_OUTCOMES).meta({ description: 'What the event did to its booking, if anything (`duplicate`: applied before)' }),
        }),
      },
      400: { description: 'Missing, invalid or stale signature; nothing changed' },
    },
  }),
};
