import type { ColumnType, Generated, Selectable } from 'kysely';

/** A car's daily rate over a range of days (high season, a one-off peak); at most one per day (migration 0015). */
export interface CarSeasonsTable {
  id: Generated<string>;
  car_id: string;
  name: string;
  /** 'YYYY-MM-DD', inclusive. */
  start_date: string;
  end_date: string;
  period: ColumnType<string, never, never>;
  daily_rate: number;
  /** The minimum rental for rentals starting in this season, when it is stricter than the car's. */
  min_rental_days: number | null;
  created_at: ColumnType<Date, never, never>;
}

/** An agency's hours on one ISO weekday (1 Monday … 7 Sunday); a weekday without a row is closed. */
export interface AgencyOpeningHoursTable {
  agency_id: string;
  weekday: number;
  /** 'HH:MM:SS' */
  opens: string;
  closes: string;
}

/** A landmark an agency delivers cars to (and collects them from), for a fee each way. */
export interface AgencyDeliveryOptionsTable {
  agency_id: string;
  landmark_slug: string;
  fee: number;
}

export type CarSeason = Selectable<CarSeasonsTable>;
