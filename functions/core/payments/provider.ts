/**
 * The port to the payment provider. Stripe in production; an offline provider (pi_local_…)
 * when no Stripe key is configured, so dev and tests run with no network.
 */
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
}
