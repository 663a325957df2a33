import type { ColumnType, Generated } from 'kysely';

export interface PaymentEventsTable {
  id: string;
  type: string;
  payment_intent_id: string | null;
  reservation_id: string | null;
  outcome: string;
  received_at: ColumnType<Date, never, never>;
}

export type PaymentTaskKind = 'cancel_intent' | 'refund_deposit';

/** Durable work at the payment provider, recorded with the state change that needs it (tasks.ts). */
export interface PaymentTasksTable {
  id: Generated<string>;
  reservation_id: string;
  kind: PaymentTaskKind;
  /** null on a cancel_intent: the booking's intent was never attached; it is found by the booking. */
  payment_intent_id: string | null;
  status: Generated<'pending' | 'done' | 'failed'>;
  attempts: Generated<number>;
  available_at: ColumnType<Date, Date | string | undefined, Date | string>;
  last_error: string | null;
  created_at: ColumnType<Date, never, never>;
  done_at: ColumnType<Date | null, never, Date | string | null>;
}
