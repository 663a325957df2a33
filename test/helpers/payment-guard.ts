import type { PaymentProvider } from '#core/payments/provider';
import { openTransactionProbe } from './open-transactions';

export interface GuardedCall {
  method: keyof PaymentProvider;
  /** Sessions of this test's database that sat inside an open transaction when the call was made. */
  openTransactions: number;
}

/**
 * Wraps a payment provider so that every call first looks at PostgreSQL itself: a session of
 * this test file's database that is `idle in transaction` while Stripe is being called is a
 * transaction held open across a network call (which docs/bookings.md rules out). Run the flows
 * one after another (as these tests do): a concurrent, unrelated transaction would be counted too.
 */
export function guardProvider(inner: PaymentProvider) {
  const probe = openTransactionProbe();
  const calls: GuardedCall[] = [];
  const check = async (method: keyof PaymentProvider) => {
    calls.push({ method, openTransactions: await probe.count() });
  };
  const provider: PaymentProvider = {
    async createDepositIntent(input) {
      await check('createDepositIntent');
      return inner.createDepositIntent(input);
    },
    async cancelIntent(intentId) {
      await check('cancelIntent');
      return inner.cancelIntent(intentId);
    },
    async refundDeposit(intentId) {
      await check('refundDeposit');
      return inner.refundDeposit(intentId);
    },
    async retrieveIntent(intentId) {
      await check('retrieveIntent');
      return inner.retrieveIntent(intentId);
    },
  };
  return {
    provider,
    calls,
    violations: () => calls.filter((call) => call.openTransactions > 0),
    close: () => probe.close(),
  };
}
