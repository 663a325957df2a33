import { sql, type Kysely } from 'kysely';

/**
 * The core schema: users and their agencies, cars and photos, and one reservations table
 * holding both customer bookings and agency blocks (maintenance), so a single exclusion
 * constraint guarantees that no two date-holding reservations of a car overlap.
 *
 * Frozen in time: migrations never import application code.
 * Enumerations are text + CHECK rather than PostgreSQL enums, so a later migration can widen
 * them inside a transaction (expand/contract) without ALTER TYPE.
 */
export async function up(db: Kysely<any>): Promise<void> {
  // All three ship with Aurora PostgreSQL and with the embedded server (PostGIS does not).
  await sql`CREATE EXTENSION IF NOT EXISTS btree_gist`.execute(db);
  await sql`CREATE EXTENSION IF NOT EXISTS cube`.execute(db);
  await sql`CREATE EXTENSION IF NOT EXISTS earthdistance`.execute(db);

  await sql`
    CREATE TABLE users (
      id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      cognito_sub text NOT NULL UNIQUE,
      email       text NOT NULL CHECK (char_length(email) BETWEEN 3 AND 254),
      full_name   text NOT NULL CHECK (char_length(full_name) BETWEEN 1 AND 200),
      role        text NOT NULL CHECK (role IN ('customer', 'agency_admin')),
      created_at  timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE UNIQUE INDEX users_email_key ON users (lower(email))`.execute(db);

  // One agency per admin user, one admin per agency.
  await sql`
    CREATE TABLE agencies (
      id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      admin_user_id  uuid NOT NULL UNIQUE REFERENCES users (id),
      name           text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
      phone          text NOT NULL CHECK (char_length(phone) BETWEEN 3 AND 40),
      address        text NOT NULL CHECK (char_length(address) BETWEEN 1 AND 500),
      lat            double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
      lng            double precision NOT NULL CHECK (lng BETWEEN -180 AND 180),
      rating_average numeric(3, 2) NOT NULL DEFAULT 0 CHECK (rating_average BETWEEN 0 AND 5),
      review_count   integer NOT NULL DEFAULT 0 CHECK (review_count >= 0),
      created_at     timestamptz NOT NULL DEFAULT now()
    )`.execute(db);

  // Money is integer satang. A car without its own lat/lng stands at its agency's location.
  // Deleting a car that has reservation history only sets deleted_at: past bookings keep it.
  await sql`
    CREATE TABLE cars (
      id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      agency_id      uuid NOT NULL REFERENCES agencies (id),
      make           text NOT NULL CHECK (char_length(make) BETWEEN 1 AND 200),
      model          text NOT NULL CHECK (char_length(model) BETWEEN 1 AND 200),
      year           smallint NOT NULL CHECK (year BETWEEN 1950 AND 2100),
      car_type       text NOT NULL CHECK (car_type IN ('economy', 'compact', 'suv', 'pickup', 'van', 'luxury', 'scooter', 'big_bike')),
      transmission   text NOT NULL CHECK (transmission IN ('automatic', 'manual')),
      seats          smallint NOT NULL CHECK (seats BETWEEN 1 AND 60),
      fuel_type      text NOT NULL CHECK (fuel_type IN ('petrol', 'diesel', 'hybrid', 'electric')),
      daily_rate     integer NOT NULL CHECK (daily_rate > 0),
      deposit_amount integer NOT NULL CHECK (deposit_amount >= 0),
      currency       text NOT NULL DEFAULT 'thb' CHECK (currency = 'thb'),
      description    text NOT NULL DEFAULT '' CHECK (char_length(description) <= 5000),
      lat            double precision CHECK (lat BETWEEN -90 AND 90),
      lng            double precision CHECK (lng BETWEEN -180 AND 180),
      pickup_address text CHECK (char_length(pickup_address) <= 500),
      is_published   boolean NOT NULL DEFAULT false,
      created_at     timestamptz NOT NULL DEFAULT now(),
      updated_at     timestamptz NOT NULL DEFAULT now(),
      deleted_at     timestamptz,
      CONSTRAINT cars_location_complete CHECK ((lat IS NULL) = (lng IS NULL))
    )`.execute(db);
  // Plain indexes on daily_rate and car_type, for the search filters.
  await sql`CREATE INDEX cars_daily_rate_idx ON cars (daily_rate)`.execute(db);
  await sql`CREATE INDEX cars_car_type_idx ON cars (car_type)`.execute(db);
  await sql`CREATE INDEX cars_agency_idx ON cars (agency_id, created_at, id)`.execute(db);

  await sql`
    CREATE TABLE car_images (
      id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      car_id         uuid NOT NULL REFERENCES cars (id) ON DELETE CASCADE,
      s3_key         text NOT NULL UNIQUE,
      content_type   text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp')),
      content_length integer NOT NULL CHECK (content_length BETWEEN 1 AND 10485760),
      status         text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'ready')),
      position       integer NOT NULL DEFAULT 0 CHECK (position >= 0),
      created_at     timestamptz NOT NULL DEFAULT now(),
      confirmed_at   timestamptz
    )`.execute(db);
  await sql`CREATE INDEX car_images_car_idx ON car_images (car_id, position)`.execute(db);

  // Bookings (kind 'booking') and agency blocks (kind 'block') share this table so that one
  // exclusion constraint covers both. Only pending and confirmed reservations hold dates.
  // The range is built inclusive ('[]'), as the API defines dates; an empty range would slip
  // past && (daterange(d, d) is empty and overlaps nothing), hence the CHECK. Period first in the constraint: the fleet-wide
  // "which cars are free" probe was ~10x faster that way on these machines.
  await sql`
    CREATE TABLE reservations (
      id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      car_id                uuid NOT NULL REFERENCES cars (id),
      kind                  text NOT NULL CHECK (kind IN ('booking', 'block')),
      status                text NOT NULL CHECK (status IN ('pending', 'confirmed', 'cancelled', 'completed', 'expired')),
      start_date            date NOT NULL,
      end_date              date NOT NULL,
      period                daterange NOT NULL GENERATED ALWAYS AS (daterange(start_date, end_date, '[]')) STORED,
      customer_id           uuid REFERENCES users (id),
      expires_at            timestamptz,
      days                  integer,
      daily_rate_at_booking integer,
      subtotal              integer,
      fees                  integer,
      tax                   integer,
      total_price           integer,
      deposit_amount        integer,
      currency              text NOT NULL DEFAULT 'thb' CHECK (currency = 'thb'),
      payment_intent_id     text UNIQUE,
      reason                text CHECK (char_length(reason) <= 500),
      created_at            timestamptz NOT NULL DEFAULT now(),
      updated_at            timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT reservations_dates_ordered CHECK (end_date >= start_date),
      CONSTRAINT reservations_period_not_empty CHECK (NOT isempty(period)),
      CONSTRAINT reservations_booking_complete CHECK (
        kind <> 'booking' OR (
          customer_id IS NOT NULL AND days IS NOT NULL AND daily_rate_at_booking IS NOT NULL
          AND subtotal IS NOT NULL AND fees IS NOT NULL AND tax IS NOT NULL
          AND total_price IS NOT NULL AND deposit_amount IS NOT NULL)),
      CONSTRAINT reservations_block_shape CHECK (
        kind <> 'block' OR (customer_id IS NULL AND status IN ('confirmed', 'cancelled'))),
      CONSTRAINT reservations_money_not_negative CHECK (
        daily_rate_at_booking >= 0 AND subtotal >= 0 AND fees >= 0 AND tax >= 0
        AND total_price >= 0 AND deposit_amount >= 0),
      CONSTRAINT reservations_total_adds_up CHECK (total_price = subtotal + fees + tax),
      CONSTRAINT reservations_days_match_dates CHECK (days = end_date - start_date + 1),
      CONSTRAINT reservations_pending_expires CHECK (status <> 'pending' OR expires_at IS NOT NULL),
      CONSTRAINT reservations_no_overlap EXCLUDE USING gist (period WITH &&, car_id WITH =)
        WHERE (status IN ('pending', 'confirmed'))
    )`.execute(db);
  await sql`CREATE INDEX reservations_car_idx ON reservations (car_id, start_date)`.execute(db);
  await sql`CREATE INDEX reservations_customer_idx ON reservations (customer_id, created_at DESC) WHERE customer_id IS NOT NULL`.execute(db);
  await sql`CREATE INDEX reservations_pending_expiry_idx ON reservations (expires_at) WHERE status = 'pending'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE reservations`.execute(db);
  await sql`DROP TABLE car_images`.execute(db);
  await sql`DROP TABLE cars`.execute(db);
  await sql`DROP TABLE agencies`.execute(db);
  await sql`DROP TABLE users`.execute(db);
  // Extensions stay: other databases objects may use them, and dropping is not needed to re-run up.
}
