import type { DepositIntent } from '../payments/provider';
import type { Reservation } from '../reservations/table';

/** A booking as the API shows it (API.md, Bookings). */
export interface BookingJson {
  id: string;
  status: Reservation['status'];
  car_id: string;
  start_date: string;
  end_date: string;
  /** The end that was booked, when the car came back early (end_date is then the day of return); else null. */
  booked_end_date: string | null;
  days: number;
  daily_rate_at_booking: number;
  subtotal: number;
  fees: number;
  tax: number;
  total_price: number;
  deposit_amount: number;
  currency: 'thb';
  expires_at: string | null;
  created_at: string;
  /** When the deposit was paid through the platform; null while unpaid (or if it never was). */
  deposit_paid_at: string | null;
  /** null only for bookings written without one (older rows, direct inserts); POST /bookings/ always makes one. */
  payment: { provider: 'stripe'; intent_id: string; amount: number } | null;
}

/** The answer to POST /bookings/ (and its replays): always pending, always with its deposit intent. */
export interface CreatedBookingJson extends BookingJson {
  status: 'pending';
  payment: { provider: 'stripe'; intent_id: string; client_secret: string; amount: number };
}

/** A booking as GET, list, cancel and the agency's routes show it: no client secret. */
export function bookingJson(row: Reservation): BookingJson {
  return {
    id: row.id,
    status: row.status,
    car_id: row.car_id,
    start_date: row.start_date,
    end_date: row.end_date,
    booked_end_date: row.booked_end_date,
    days: row.days!,
    daily_rate_at_booking: row.daily_rate_at_booking!,
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
