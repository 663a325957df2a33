import * as z from 'zod';
import { Day, Instant, Satang } from '../json';
import type { DepositIntent } from '../payments/provider';
import type { PriceBreakdown } from '../pricing/pricing';
import { PriceBreakdownJson, RentalPriceJson } from '../pricing/shape';
import { RESERVATION_STATUSES, type Reservation } from '../reservations/table';

const Payment = z.object({ provider: z.literal('stripe'), intent_id: z.string(), amount: Satang });

const HandOverTime = z
  .string()
  .nullable()
  .meta({ description: 'HH:MM in Asia/Bangkok; null for bookings made before hand-over times were recorded', example: '10:00' });
const HandOverPlace = z
  .string()
  .nullable()
  .meta({ description: 'The landmark slug the car is delivered to or collected from; null: the agency’s own address' });

/** A booking as the API shows it. */
export const BookingJson = z
  .object({
    id: z.uuid(),
    status: z.enum(RESERVATION_STATUSES),
    car_id: z.uuid(),
    start_date: Day,
    end_date: Day,
    booked_end_date: Day.nullable().meta({
      description:
        'Set when the car came back before the booked end (an early return): the end that was booked and priced. end_date is then the day of return, and only the days after it were freed.',
    }),
    pickup_time: HandOverTime,
    return_time: HandOverTime,
    pickup_landmark: HandOverPlace,
    return_landmark: HandOverPlace,
    ...RentalPriceJson.shape,
    daily_rate_at_booking: Satang.meta({ description: 'The rental’s average daily rate before any length discount (the car’s rate when no season applies)' }),
    price_breakdown: PriceBreakdownJson.nullable().meta({
      description:
        'How the subtotal was made up when booked (seasons, length discount, delivery and after-hours fees); null for bookings made before it was stored',
    }),
    expires_at: Instant.nullable().meta({ description: 'Until when an unpaid (pending) booking holds its dates; null once paid or ended' }),
    created_at: Instant,
    deposit_paid_at: Instant.nullable().meta({ description: 'When the deposit was paid through the platform; null while unpaid' }),
    payment: Payment.nullable().meta({ description: 'The deposit PaymentIntent; null only for a booking written without one (older data)' }),
  })
  .meta({ id: 'Booking' });
export type BookingJson = z.infer<typeof BookingJson>;

/** The answer to POST /bookings/ (and its replays): always pending, always with its deposit intent. */
export const CreatedBookingJson = BookingJson.extend({
  status: z.literal('pending'),
  payment: Payment.extend({ client_secret: z.string().meta({ description: "Stripe's client secret: the customer's browser pays the deposit with it" }) }),
}).meta({ id: 'CreatedBooking' });
export type CreatedBookingJson = z.infer<typeof CreatedBookingJson>;

/** A customer's cancellation: the booking, and the deposit refund it started (null if none is due). */
export const CancelledBookingJson = BookingJson.extend({
  refund: z.object({ amount: Satang }).nullable().meta({ description: 'The deposit refunded in full (48 hours or more before the start day), else null' }),
}).meta({ id: 'CancelledBooking' });
export type CancelledBookingJson = z.infer<typeof CancelledBookingJson>;

/** A booking as the agency sees it: with who booked. */
export const AgencyBookingJson = BookingJson.extend({ customer: z.object({ full_name: z.string(), email: z.email() }) }).meta({ id: 'AgencyBooking' });
export type AgencyBookingJson = z.infer<typeof AgencyBookingJson>;

/** An agency's block: a car off the road for inclusive dates (maintenance). */
export const BlockJson = z
  .object({ id: z.uuid(), car_id: z.uuid(), start_date: Day, end_date: Day, reason: z.string(), status: z.enum(['confirmed', 'cancelled']) })
  .meta({ id: 'Block' });
export type BlockJson = z.infer<typeof BlockJson>;

/** A booking as GET, list, cancel and the agency's routes show it: no client secret. */
export function bookingJson(row: Reservation): BookingJson {
  return {
    id: row.id,
    status: row.status,
    car_id: row.car_id,
    start_date: row.start_date,
    end_date: row.end_date,
    booked_end_date: row.booked_end_date,
    pickup_time: clockTime(row.pickup_time),
    return_time: clockTime(row.return_time),
    pickup_landmark: row.pickup_landmark,
    return_landmark: row.return_landmark,
    days: row.days!,
    daily_rate_at_booking: row.daily_rate_at_booking!,
    price_breakdown: (row.price_breakdown as PriceBreakdown | null) ?? null,
    subtotal: row.subtotal!,
    fees: row.fees!,
    tax: row.tax!,
    total_price: row.total_price!,
    deposit_amount: row.deposit_amount!,
    currency: row.currency,
    expires_at: row.expires_at ? row.expires_at.toISOString() : null,
    created_at: row.created_at.toISOString(),
    deposit_paid_at: row.deposit_paid_at ? row.deposit_paid_at.toISOString() : null,
    payment: row.payment_intent_id ? { provider: 'stripe', intent_id: row.payment_intent_id, amount: row.deposit_amount! } : null,
  };
}

/** PostgreSQL's 'HH:MM:SS' as the API's 'HH:MM' (hand-overs are booked to the minute). */
function clockTime(time: string | null): string | null {
  return time === null ? null : time.slice(0, 5);
}

/**
 * A booking just made (a pending row and its deposit intent). The client secret is shown only
 * in the answer to the booking request (and its replays): it lets the customer's browser pay,
 * and nobody else needs it later.
 */
export function createdBookingJson(row: Reservation, intent: DepositIntent): CreatedBookingJson {
  return {
    ...bookingJson(row),
    status: 'pending',
    payment: { provider: 'stripe', intent_id: intent.intentId, client_secret: intent.clientSecret, amount: row.deposit_amount! },
  };
}

/** A booking of the agency's car, with the customer who made it. */
export function agencyBookingJson(row: Reservation & { customer_name: string; customer_email: string }): AgencyBookingJson {
  return { ...bookingJson(row), customer: { full_name: row.customer_name, email: row.customer_email } };
}
