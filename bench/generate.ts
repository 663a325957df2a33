import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { addDays, dayNumber, fromDayNumber } from '#core/availability/dates';
import { priceRental } from '#core/pricing/pricing';
import { dailyRateOf, FLEET, RENTAL_AREAS, randomSource, round, seasonOf } from '../dev/catalog';

export interface BenchSize {
  agencies: number;
  cars: number;
  reservations: number;
  customers: number;
}

export const FULL_SIZE: BenchSize = { agencies: 200, cars: 10_000, reservations: 1_000_000, customers: 1_000 };

/**
 * One point of the fleet-size sweep: 50 cars an agency, 30 reservations a car. 30 reach from
 * the horizon back past today for every car (at 100 a car, the cars of the full run hold 13
 * from a month ago on, at most 28), so the future the searches read is the full run's; only
 * the older history is shorter, which keeps 100,000 cars to 3,000,000 rows.
 */
export function sweepSize(cars: number): BenchSize {
  return { agencies: cars / 50, cars, reservations: cars * 30, customers: 1_000 };
}

const BATCH = 50_000;

/**
 * Fills an empty, migrated database with a Phuket-shaped marketplace:
 * - agencies clustered around the beaches and towns (RENTAL_AREAS), ratings 0–5;
 * - cars with the island's fleet mix and rates; 35 % with a position of their own near their
 *   agency (delivery points), the rest at the agency; 92 % published, 2 % deleted;
 * - reservations per car walked through time without overlap, from a few months ahead back
 *   ~3 years: short gaps in high season (Dec–Mar), long ones in the monsoon, thinning out the
 *   further ahead (people book weeks, not months, ahead). Past ones are mostly completed;
 *   current and future ones confirmed, some pending (live or stale holds), cancelled,
 *   expired, and ~3 % agency blocks.
 * Rows go in through multi-row INSERT … SELECT FROM unnest(arrays), the exclusion constraint live.
 */
export async function generateBenchData(pool: pg.Pool, size: BenchSize, options: { today: string; log?: (message: string) => void }): Promise<void> {
  const log = options.log ?? (() => {});
  const random = randomSource(20261125);
  const todayDay = dayNumber(options.today);

  // Users: agency admins and customers (fake subjects: benchmark rows, nobody signs in).
  await pool.query(
    `INSERT INTO users (cognito_sub, email, full_name, role, email_verified_at)
     SELECT 'bench-admin-' || i, 'admin' || i || '@bench.example', 'Bench Admin ' || i, 'agency_admin', now() FROM generate_series(1, $1::int) AS i`,
    [size.agencies],
  );
  await pool.query(
    `INSERT INTO users (cognito_sub, email, full_name, role, email_verified_at)
     SELECT 'bench-customer-' || i, 'customer' || i || '@bench.example', 'Bench Customer ' || i, 'customer', now() FROM generate_series(1, $1::int) AS i`,
    [size.customers],
  );
  const admins = (await pool.query<{ id: string }>(`SELECT id FROM users WHERE role = 'agency_admin' ORDER BY email`)).rows.map((row) => row.id);
  const customers = (await pool.query<{ id: string }>(`SELECT id FROM users WHERE role = 'customer'`)).rows.map((row) => row.id);

  // Agencies.
  const agencies = admins.map((adminId, index) => {
    const area = random.weighted(RENTAL_AREAS);
    const place = random.near(area.lat, area.lng, 0.8);
    const reviews = random.next() < 0.15 ? 0 : random.int(1, 400);
    const ratingSum = reviews === 0 ? 0 : random.int(Math.ceil(reviews * 3.4), reviews * 5);
    return {
      id: randomUUID(),
      adminId,
      name: `${area.name} ${random.pick(['Rentals', 'Car Rent', 'Bike Rental', 'Wheels', 'Motors', 'Drive'])} ${index + 1}`,
      // Unique, as agencies' phones must be, by the index at its end; the draw stays so the
      // random sequence, and with it the catalogue, is the one the benchmarks were measured on.
      phone: `+66 ${String(random.int(100_000, 999_999))} ${String(index).padStart(3, '0')}`,
      address: `${random.int(1, 300)} ${area.street}, ${area.name}, Phuket`,
      ...place,
      rating: reviews === 0 ? 0 : round(ratingSum / reviews, 2),
      reviews,
      ratingSum,
    };
  });
  await pool.query(
    `INSERT INTO agencies (id, admin_user_id, name, phone, address, lat, lng, rating_average, review_count, rating_sum)
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::float8[], $8::numeric[], $9::int[], $10::int[])`,
    [
      agencies.map((a) => a.id),
      agencies.map((a) => a.adminId),
      agencies.map((a) => a.name),
      agencies.map((a) => a.phone),
      agencies.map((a) => a.address),
      agencies.map((a) => a.lat),
      agencies.map((a) => a.lng),
      agencies.map((a) => a.rating),
      agencies.map((a) => a.reviews),
      agencies.map((a) => a.ratingSum),
    ],
  );
  log(`  ${agencies.length} agencies, ${customers.length} customers`);

  // Cars.
  const cars = Array.from({ length: size.cars }, () => {
    const agency = random.pick(agencies);
    const model = random.pick(random.weighted(FLEET).models);
    const ownPlace = random.next() < 0.35 ? random.near(agency.lat, agency.lng, 1.5) : null;
    const deleted = random.next() < 0.02;
    return {
      id: randomUUID(),
      agencyId: agency.id,
      model,
      year: random.int(2018, 2026),
      dailyRate: dailyRateOf(model, random),
      deposit: model.deposit * 100,
      lat: ownPlace?.lat ?? null,
      lng: ownPlace?.lng ?? null,
      published: !deleted && random.next() < 0.92,
      deletedAt: deleted ? new Date() : null,
    };
  });
  for (let from = 0; from < cars.length; from += BATCH) {
    const batch = cars.slice(from, from + BATCH);
    await pool.query(
      `INSERT INTO cars (id, agency_id, make, model, year, car_type, transmission, seats, fuel_type, daily_rate, deposit_amount,
                         description, lat, lng, pickup_address, is_published, deleted_at)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::smallint[], $6::text[], $7::text[], $8::smallint[], $9::text[],
                            $10::int[], $11::int[], $12::text[], $13::float8[], $14::float8[], $15::text[], $16::bool[], $17::timestamptz[])`,
      [
        batch.map((c) => c.id),
        batch.map((c) => c.agencyId),
        batch.map((c) => c.model.make),
        batch.map((c) => c.model.model),
        batch.map((c) => c.year),
        batch.map((c) => c.model.type),
        batch.map((c) => c.model.transmission),
        batch.map((c) => c.model.seats),
        batch.map((c) => c.model.fuel),
        batch.map((c) => c.dailyRate),
        batch.map((c) => c.deposit),
        batch.map((c) => `${c.model.make} ${c.model.model}, ${c.year}. Helmets and phone holder included.`),
        batch.map((c) => c.lat),
        batch.map((c) => c.lng),
        batch.map((c) => (c.lat === null ? null : 'Delivered to your hotel')),
        batch.map((c) => c.published),
        batch.map((c) => c.deletedAt),
      ],
    );
  }
  // Photos: 0–4 ready ones per car, and the odd upload never confirmed.
  await pool.query(`
    INSERT INTO car_images (car_id, s3_key, content_type, content_length, status, position, confirmed_at)
    SELECT cars.id, 'cars/' || cars.id || '/' || n || '.jpg', 'image/jpeg', 250000 + n * 1000,
           CASE WHEN n = 4 THEN 'pending' ELSE 'ready' END, n, CASE WHEN n = 4 THEN NULL ELSE now() END
    FROM cars CROSS JOIN LATERAL generate_series(0, (abs(hashtext(cars.id::text)) % 5)) AS n`);
  log(`  ${cars.length} cars`);

  // Reservations, walked per car through time.
  const perCar = Math.round(size.reservations / size.cars);
  const columns = {
    car: [] as string[],
    kind: [] as string[],
    status: [] as string[],
    start: [] as string[],
    end: [] as string[],
    customer: [] as (string | null)[],
    expires: [] as (Date | null)[],
    days: [] as (number | null)[],
    rate: [] as (number | null)[],
    subtotal: [] as (number | null)[],
    fees: [] as (number | null)[],
    tax: [] as (number | null)[],
    total: [] as (number | null)[],
    deposit: [] as (number | null)[],
    reason: [] as (string | null)[],
  };
  const flush = async () => {
    if (columns.car.length === 0) return;
    await pool.query(
      `INSERT INTO reservations (car_id, kind, status, start_date, end_date, customer_id, expires_at, days, daily_rate_at_booking,
                                 subtotal, fees, tax, total_price, deposit_amount, reason)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::date[], $5::date[], $6::uuid[], $7::timestamptz[], $8::int[], $9::int[],
                            $10::int[], $11::int[], $12::int[], $13::int[], $14::int[], $15::text[])`,
      Object.values(columns),
    );
    for (const column of Object.values(columns)) column.length = 0;
  };
  const now = Date.now();
  const exponential = (mean: number) => -Math.log(1 - random.next()) * mean;
  let written = 0;
  let logged = 0;
  for (const car of cars) {
    const twoWheels = car.model.type === 'scooter' || car.model.type === 'big_bike';
    // Walk backwards from a horizon a few months ahead, so every car gets its share of
    // reservations and none lands years in the future.
    let day = todayDay + 150 + random.int(0, 60);
    for (let k = 0; k < perCar; k++) {
      const season = seasonOf(Number(fromDayNumber(day).slice(5, 7)));
      let gapMean = season === 'high' ? 4 : season === 'shoulder' ? 8 : 14;
      const lead = day - todayDay;
      if (lead > 30) gapMean *= 1 + (lead - 30) / 45;
      const endDay = day - Math.floor(exponential(gapMean));
      const length = 1 + Math.min(Math.floor(exponential(twoWheels ? 5 : 3.5)), twoWheels ? 29 : 20);
      const startDay = endDay - length + 1;
      day = startDay - 1;

      const start = fromDayNumber(startDay);
      const end = addDays(start, length - 1);
      const roll = random.next();
      columns.car.push(car.id);
      columns.start.push(start);
      columns.end.push(end);
      if (roll < 0.03) {
        columns.kind.push('block');
        columns.status.push('confirmed');
        columns.customer.push(null);
        columns.expires.push(null);
        for (const money of [columns.days, columns.rate, columns.subtotal, columns.fees, columns.tax, columns.total, columns.deposit]) money.push(null);
        columns.reason.push(random.pick(['Scheduled service', 'Tyres', 'Body work', 'Owner use']));
        continue;
      }
      let status: string;
      let expires: Date | null = null;
      if (endDay < todayDay) status = roll < 0.9 ? 'completed' : roll < 0.97 ? 'cancelled' : 'expired';
      else if (roll < 0.84) status = 'confirmed';
      else if (roll < 0.92) status = 'cancelled';
      else if (roll < 0.97) {
        status = 'pending';
        // Half are live 15-minute holds, half stale ones the expiry job has not reached yet.
        expires = new Date(now + (random.next() < 0.5 ? 10 * 60_000 : -60 * 60_000));
      } else status = 'expired';
      const price = priceRental({ dailyRate: car.dailyRate, depositAmount: car.deposit, startDate: start, endDate: end });
      columns.kind.push('booking');
      columns.status.push(status);
      columns.customer.push(random.pick(customers));
      columns.expires.push(expires);
      columns.days.push(price.days);
      columns.rate.push(price.daily_rate_at_booking);
      columns.subtotal.push(price.subtotal);
      columns.fees.push(price.fees);
      columns.tax.push(price.tax);
      columns.total.push(price.total_price);
      columns.deposit.push(price.deposit_amount);
      columns.reason.push(null);
    }
    if (columns.car.length >= BATCH) {
      written += columns.car.length;
      await flush();
      if (written - logged >= 200_000) log(`  ${(logged = written).toLocaleString('en')} reservations`);
    }
  }
  written += columns.car.length;
  await flush();
  if (written !== logged) log(`  ${written.toLocaleString('en')} reservations`);
}

/**
 * Throws unless no two date-holding reservations of a car overlap: what the exclusion
 * constraint guarantees, checked after a load made without it (one sort, not a GiST probe a row).
 */
export async function assertNoOverlaps(pool: pg.Pool): Promise<void> {
  const {
    rows: [result],
  } = await pool.query<{ overlaps: string }>(`
    SELECT count(*) AS overlaps FROM (
      SELECT start_date, lag(end_date) OVER (PARTITION BY car_id ORDER BY start_date) AS previous_end
      FROM reservations WHERE status IN ('pending', 'confirmed', 'completed')) AS held
    WHERE previous_end >= start_date`);
  if (Number(result!.overlaps) !== 0) throw new Error(`${result!.overlaps} overlapping date-holding reservations`);
}
