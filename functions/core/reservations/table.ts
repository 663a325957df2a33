import type { ColumnType, Generated, Selectable } from 'kysely';

export const RESERVATION_STATUSES = ['pending', 'confirmed', 'cancelled', 'completed', 'expired'] as const;
export type ReservationStatus = (typeof RESERVATION_STATUSES)[number];
/**
 * The statuses that hold a car's dates, in the exclusion constraint and in every query. A
 * completed rental keeps its dates: completing is not a way to free a car mid-rental (an early
 * return moves end_date to the day of return instead).
 */
export const DATE_HOLDING_STATUSES = ['pending', 'confirmed', 'completed'] as const satisfies readonly ReservationStatus[];

export interface ReservationsTable {
  id: Generated<string>;
  car_id: string;
  kind: 'booking' | 'block';
  status: ReservationStatus;
  /** 'YYYY-MM-DD', inclusive. */
  start_date: string;
  /** 'YYYY-MM-DD', inclusive: the last day the car is held (the day of return after an early return). */
  end_date: string;
  /** The end that was booked and priced, kept when the car came back before it (early return); else null. */
  booked_end_date: string | null;
  /** Derived by the database from start_date and end_date; never written. */
  period: ColumnType<string, never, never>;
  customer_id: string | null;
  expires_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  days: number | null;
  daily_rate_at_booking: number | null;
  subtotal: number | null;
  fees: number | null;
  tax: number | null;
  total_price: number | null;
  deposit_amount: number | null;
  currency: Generated<'thb'>;
  payment_intent_id: string | null;
  /** When the deposit was paid through the platform (the Stripe webhook); null if never. */
  deposit_paid_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  reason: string | null;
  /** The car's turnaround buffer when it was booked: the reservation holds its dates and this many days after (0 for blocks). */
  turnaround_days: Generated<number>;
  /** end_date + turnaround_days, derived by the database; never written. */
  held_until: ColumnType<string, never, never>;
  /** daterange(start_date, held_until, '[]'): what the exclusion constraint compares; never written. */
  held_period: ColumnType<string, never, never>;
  /** 'HH:MM:SS' as PostgreSQL returns a time; null for blocks and for bookings made before migration 0015. */
  pickup_time: string | null;
  return_time: string | null;
  /** Landmark slugs the car is delivered to and collected from; null: the agency's own address. */
  pickup_landmark: string | null;
  return_landmark: string | null;
  /** The price breakdown it was charged (core/pricing/pricing.ts PriceBreakdown); null before migration 0015. */
  price_breakdown: ColumnType<unknown, string | null | undefined, string | null>;
  created_at: ColumnType<Date, never, never>;
  updated_at: ColumnType<Date, never, Date | string>;
}

export interface IdempotencyKeysTable {
  customer_id: string;
  key: string;
  request_hash: string;
  reservation_id: string | null;
  response_status: number | null;
  response_body: ColumnType<unknown, string | null, string | null>;
  /** While a request of this key is between its hold and its answer (asking Stripe): duplicates wait for it until then. */
  attempt_expires_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  created_at: ColumnType<Date, never, never>;
}

export type Reservation = Selectable<ReservationsTable>;
