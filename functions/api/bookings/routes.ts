import * as z from 'zod';
import { RESERVATION_STATUSES } from '#core/reservations/table';
import { defineRoute } from '#platform/route';
import { IdParams, PageQuery, pageOf, Uuid } from '#platform/schemas';

const IsoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD');
const Status = z.enum(RESERVATION_STATUSES);
const Money = z.number().int();

export const CreateBookingBody = z
  .strictObject({ car_id: Uuid, start_date: IsoDate, end_date: IsoDate })
  .meta({ id: 'CreateBookingRequest', description: 'Prices are computed on the server; sending any is a 400.' });

export const BookingSchema = z
  .object({
    id: z.uuid(),
    status: Status,
    car_id: z.uuid(),
    start_date: IsoDate,
    end_date: IsoDate,
    booked_end_date: IsoDate.nullable().meta({
      description: 'Set when the car came back before the booked end (an early return): the end that was booked and priced. end_date is then the day of return, and only the days after it were freed.',
    }),
    days: z.number().int(),
    daily_rate_at_booking: Money,
    subtotal: Money,
    fees: Money,
    tax: Money,
    total_price: Money,
    deposit_amount: Money,
    currency: z.literal('thb'),
    expires_at: z.string().nullable(),
    created_at: z.string(),
    deposit_paid_at: z.string().nullable().meta({ description: 'When the deposit was paid through the platform; null while unpaid' }),
    payment: z
      .object({ provider: z.literal('stripe'), intent_id: z.string(), amount: Money })
      .nullable()
      .meta({ description: 'The deposit PaymentIntent; null only for a booking written without one (older data)' }),
  })
  .meta({ id: 'Booking' });

/** The answer to POST /bookings/: always pending, always with the deposit intent the browser pays. */
export const CreatedBookingSchema = BookingSchema.extend({
  status: z.literal('pending'),
  payment: z.object({ provider: z.literal('stripe'), intent_id: z.string(), client_secret: z.string(), amount: Money }),
}).meta({ id: 'CreatedBooking' });

export const BlockSchema = z
  .object({ id: z.uuid(), car_id: z.uuid(), start_date: IsoDate, end_date: IsoDate, reason: z.string(), status: z.enum(['confirmed', 'cancelled']) })
  .meta({ id: 'Block' });

const BookingIdParams = IdParams;

export const bookingRoutes = {
  createBooking: defineRoute({
    method: 'POST',
    path: '/bookings/',
    handler: 'api/bookings/create-booking',
    access: 'customer',
    database: 'write',
    uses: ['payments'],
    summary: 'Book a car for inclusive dates; holds them for 15 minutes until the deposit is paid',
    tags: ['Bookings'],
    body: CreateBookingBody,
    responses: {
      201: {
        description:
          'The pending booking and its deposit PaymentIntent. A replay of the same Idempotency-Key and body answers the stored 201 as it was (header Idempotent-Replayed: true), even after the dates started or the car changed',
        schema: CreatedBookingSchema,
      },
      404: { description: 'No such published car' },
      409: { description: "The dates are no longer available, the Idempotency-Key was used with another body, or the car's deposit is below the THB 10 minimum (older data)" },
      429: {
        description:
          'The customer already holds the most unpaid bookings at once (default 2), or made the most bookings allowed in the last hour (default 6). Retry-After says when a slot frees up; the problem names the limit (`limit`, `max`).',
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
    query: PageQuery.extend({ status: Status.optional() }).strict(),
    responses: { 200: { description: 'A page of bookings', schema: pageOf(BookingSchema, 'BookingPage') } },
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
    responses: { 200: { description: 'The booking', schema: BookingSchema }, 404: { description: 'Not found or not yours' } },
  }),
  cancelBooking: defineRoute({
    method: 'POST',
    path: '/bookings/{id}/cancel/',
    handler: 'api/bookings/cancel-booking',
    access: 'customer',
    database: 'write',
    uses: ['payments'],
    summary:
      'Cancel one of your bookings before its start day (Bangkok); the deposit is refunded in full 48 hours or more before the start day, not after',
    tags: ['Bookings'],
    params: BookingIdParams,
    responses: {
      200: { description: 'The cancelled booking', schema: BookingSchema.extend({ refund: z.object({ amount: Money }).nullable() }) },
      404: { description: 'Not found or not yours' },
      409: { description: 'The booking is already cancelled, expired or completed, or its start day has come: a running rental is ended by the agency, not cancelled' },
    },
  }),
  agencyListBookings: defineRoute({
    method: 'GET',
    path: '/agency/bookings/',
    handler: 'api/bookings/agency-list-bookings',
    access: 'agency_admin',
    database: 'write',
    summary: "Bookings of the caller's cars, by start date",
    tags: ['Agency bookings'],
    query: PageQuery.extend({ status: Status.optional(), car_id: Uuid.optional(), from: IsoDate.optional(), to: IsoDate.optional() }).strict(),
    responses: { 200: { description: 'A page of bookings', schema: pageOf(BookingSchema.extend({ customer: z.object({ full_name: z.string(), email: z.string() }) }), 'AgencyBookingPage') } },
  }),
  agencyUpdateBooking: defineRoute({
    method: 'PATCH',
    path: '/agency/bookings/{id}/',
    handler: 'api/bookings/agency-update-booking',
    access: 'agency_admin',
    database: 'write',
    uses: ['payments'],
    summary:
      'Move a booking of your car along its lifecycle. Completing before end_date is an early return: end_date becomes today (Bangkok), booked_end_date keeps the booked end, and only the days after today are freed. Cancelling refunds a paid deposit in full, also for a no-show',
    tags: ['Agency bookings'],
    params: BookingIdParams,
    body: z.strictObject({ status: Status }).meta({ id: 'BookingStatusChange' }),
    responses: {
      200: { description: 'The updated booking', schema: BookingSchema },
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
    summary: 'Take a car off the road for inclusive dates (maintenance); same no-overlap rule as bookings',
    tags: ['Agency bookings'],
    params: IdParams,
    body: z.strictObject({ start_date: IsoDate, end_date: IsoDate, reason: z.string().trim().min(1).max(500) }).meta({ id: 'CreateBlockRequest' }),
    responses: {
      201: { description: 'The block', schema: BlockSchema },
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
    query: PageQuery.strict(),
    responses: { 200: { description: 'A page of blocks', schema: pageOf(BlockSchema, 'BlockPage') }, 404: { description: 'Not found or not your car' } },
  }),
  deleteBlock: defineRoute({
    method: 'DELETE',
    path: '/agency/cars/{id}/blocks/{block_id}/',
    handler: 'api/bookings/delete-block',
    access: 'agency_admin',
    database: 'write',
    summary: 'Put a car back on the road: the block is cancelled and its dates freed',
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
    summary: 'Stripe events (signature verified over the raw body; each event applied once)',
    tags: ['Payments'],
    responses: {
      200: { description: 'Received (also for a duplicate, which has no effect)', schema: z.object({ received: z.literal(true), outcome: z.string() }) },
      400: { description: 'Missing, invalid or stale signature; nothing changed' },
    },
  }),
};
