/**
 * The port to the payment provider: Stripe, through its SDK (functions/platform/payments.ts);
 * locally and in the tests the same adapter talks to a stand-in that keeps Stripe's state
 * (dev/stripe-standin.ts). Never called inside a database transaction (core/payments/tasks.ts).
 */
/**
 * The smallest deposit a booking can take, in satang: Stripe's minimum charge in THB is ฿10.
 * Every booking gets a PaymentIntent, so a car's deposit must be at least this much (the
 * agency car schemas refuse less; the database CHECK only keeps it ≥ 0).
 */
export const MIN_DEPOSIT_SATANG = 1_000;

export interface DepositIntent {
  provider: 'stripe';
  intentId: string;
  clientSecret: string;
  amount: number;
}

export interface PaymentProvider {
  /** Idempotent per booking: the same booking id always yields the same intent. */
  createDepositIntent(input: { bookingId: string; amount: number; currency: 'thb'; customerEmail: string }): Promise<DepositIntent>;
  /** Cancels an unpaid intent (an expired or cancelled hold); an already final intent is not an error. */
  cancelIntent(intentId: string): Promise<void>;
  /** Refunds a paid deposit in full; idempotent per intent. */
  refundDeposit(intentId: string): Promise<void>;
  /**
   * The intent as the provider has it NOW (a webhook event only says what it was when sent);
   * `undefined` when the provider has no such intent. Throws when the provider cannot be reached.
   */
  retrieveIntent(intentId: string): Promise<IntentSnapshot | undefined>;
}

/** What the payment state machine reads of an intent (docs/bookings.md, "The payment state machine"). */
export interface IntentSnapshot {
  id: string;
  /** Stripe's status: requires_payment_method, requires_confirmation, requires_action, processing, requires_capture, canceled, succeeded. */
  status: string;
  /** The last attempt was declined (Stripe puts the intent back to requires_payment_method and sets last_payment_error). */
  lastPaymentFailed: boolean;
  amountReceived: number;
  currency: string;
  /** metadata.booking_id, set when the intent was created for a booking. */
  bookingId: string | undefined;
}
