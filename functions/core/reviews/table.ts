import type { ColumnType, Generated } from 'kysely';

export interface ReviewsTable {
  id: Generated<string>;
  reservation_id: string;
  agency_id: string;
  customer_id: string;
  rating: number;
  comment: Generated<string>;
  reply: string | null;
  replied_at: ColumnType<Date | null, never, Date | string | null>;
  /** True for every review written since reviews require a paid, completed rental; false for older ones that were not. */
  verified_rental: Generated<boolean>;
  created_at: ColumnType<Date, never, never>;
}
