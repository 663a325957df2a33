import type { ColumnType, Generated, Selectable } from 'kysely';

/** Where a row is in its delivery: 'skipped' is a message deliberately not sent (SMS while SMS is off). */
export type NotificationStatus = 'pending' | 'dispatched' | 'sent' | 'skipped' | 'failed';
export type NotificationChannel = 'email' | 'sms';

export interface NotificationsTable {
  id: Generated<string>;
  kind: string;
  channel: Generated<NotificationChannel>;
  recipient: string;
  payload: ColumnType<unknown, string | undefined, string>;
  reservation_id: string | null;
  dedupe_key: string | null;
  status: Generated<NotificationStatus>;
  attempts: Generated<number>;
  available_at: ColumnType<Date, Date | string | undefined, Date | string>;
  created_at: ColumnType<Date, never, never>;
  sent_at: ColumnType<Date | null, never, Date | string | null>;
  dispatched_at: ColumnType<Date | null, never, Date | string | null>;
  last_error: ColumnType<string | null, never, string | null>;
  /** While set and in the future, a worker is sending the row and no other takes it. */
  leased_until: ColumnType<Date | null, never, Date | string | null>;
}

export type Notification = Selectable<NotificationsTable>;
