import type { Reservation } from '../reservations/table';

/** A booking as the API shows it (API.md, Bookings). */
export interface BookingJson {
  id: string;
  status: Reservation['status'];
  car_id: string;
  start_date: string;
  end_date: string;
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
  payment: { provider: 'stripe'; intent_id: string; client_secret?: string; amount: number } | null;
}

/**
 * The client secret is shown only in the answer to the booking request (and its replays):
 * it lets the customer's browser pay, and nobody else needs it later.
 */
export function bookingJson(row: Reservation, clientSecret?: string): BookingJson {
  return {
    id: row.id,
    status: row.status,
    car_id: row.car_id,
    start_date: row.start_date,
    end_date: row.end_date,
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
    payment: row.payment_intent_id
      ? { provider: 'stripe', intent_id: row.payment_intent_id, ...(clientSecret ? { client_secret: clientSecret } : {}), amount: row.deposit_amount! }
      : null,
  };
}
