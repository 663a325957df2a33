import type { ColumnType, Generated, Selectable } from 'kysely';

export const CAR_TYPES = ['economy', 'compact', 'suv', 'pickup', 'van', 'luxury', 'scooter', 'big_bike'] as const;
export const TRANSMISSIONS = ['automatic', 'manual'] as const;
export const FUEL_TYPES = ['petrol', 'diesel', 'hybrid', 'electric'] as const;
export const IMAGE_CONTENT_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;

export type CarType = (typeof CAR_TYPES)[number];
export type Transmission = (typeof TRANSMISSIONS)[number];
export type FuelType = (typeof FUEL_TYPES)[number];
export type ImageContentType = (typeof IMAGE_CONTENT_TYPES)[number];

export interface CarsTable {
  id: Generated<string>;
  agency_id: string;
  make: string;
  model: string;
  year: number;
  car_type: CarType;
  transmission: Transmission;
  seats: number;
  fuel_type: FuelType;
  daily_rate: number;
  deposit_amount: number;
  currency: Generated<'thb'>;
  description: Generated<string>;
  lat: number | null;
  lng: number | null;
  pickup_address: string | null;
  /**
   * The effective position as an `earth` point: lat/lng, else the agency's. Maintained by
   * database triggers on cars and agencies (migration 0003); never written by the application.
   */
  location: ColumnType<string, never, never>;
  is_published: Generated<boolean>;
  /** Length discounts: weekly_discount_percent off from weekly_discount_days days, monthly_… from monthly_discount_days. */
  weekly_discount_days: Generated<number>;
  weekly_discount_percent: Generated<number>;
  monthly_discount_days: Generated<number>;
  monthly_discount_percent: Generated<number>;
  min_rental_days: Generated<number>;
  min_notice_hours: Generated<number>;
  /** How many days ahead a rental may start at most; null: the platform's limit only. */
  max_lead_days: number | null;
  /** Whole days the car needs between rentals; each booking holds them after its end (migration 0015). */
  turnaround_days: Generated<number>;
  /** Moved by a trigger whenever a pricing or rule column or one of the car's seasons changes; never written. */
  terms_version: ColumnType<number, never, never>;
  /** The car's seasons as rentalTermsJson() reads them, kept by a trigger (migration 0015); never written. */
  seasons_json: ColumnType<unknown, never, never>;
  created_at: ColumnType<Date, never, never>;
  updated_at: ColumnType<Date, never, Date | string>;
  deleted_at: ColumnType<Date | null, never, Date | string | null>;
}

export interface CarImagesTable {
  id: Generated<string>;
  car_id: string;
  s3_key: string;
  content_type: ImageContentType;
  content_length: number;
  status: Generated<'pending' | 'ready'>;
  position: Generated<number>;
  created_at: ColumnType<Date, never, never>;
  confirmed_at: ColumnType<Date | null, never, Date | string | null>;
}

export type Car = Selectable<CarsTable>;
export type CarImage = Selectable<CarImagesTable>;

/** Photo objects waiting to be removed from the store (core/cars/object-deletions.ts). */
export interface ObjectDeletionsTable {
  s3_key: string;
  attempts: Generated<number>;
  available_at: ColumnType<Date, Date | string | undefined, Date | string>;
  last_error: string | null;
  created_at: ColumnType<Date, never, never>;
}
