import type { ColumnType } from 'kysely';

export interface PaymentEventsTable {
  id: string;
  type: string;
  payment_intent_id: string | null;
  reservation_id: string | null;
  outcome: string;
  received_at: ColumnType<Date, never, never>;
}
