import type { ColumnType, Generated } from 'kysely';

export interface NotificationsTable {
  id: Generated<string>;
  kind: string;
  channel: Generated<'email' | 'sms'>;
  recipient: string;
  payload: ColumnType<unknown, string | undefined, string>;
  reservation_id: string | null;
  dedupe_key: string | null;
  status: Generated<'pending' | 'dispatched' | 'sent' | 'failed'>;
  attempts: Generated<number>;
  available_at: ColumnType<Date, Date | string | undefined, Date | string>;
  created_at: ColumnType<Date, never, never>;
  sent_at: ColumnType<Date | null, never, Date | string | null>;
}
