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

  // Cars. Their price rows (migration 0017) are written once, after the rules: each trigger run
  // rewrites a car's rows, and a car's insert, rules and seasons would write them three times.
  const setPriceRowTriggers = async (state: 'ENABLE' | 'DISABLE') => {
    await pool.query(`ALTER TABLE cars ${state} TRIGGER cars_price_segments`);
    await pool.query(`ALTER TABLE car_seasons ${state} TRIGGER car_seasons_price_segments_insert`);
  };
  await setPriceRowTriggers('DISABLE');
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
  const turnaround = await generateRentalRules(pool, agencies, cars, options.today);
  await setPriceRowTriggers('ENABLE');
  await pool.query(`SELECT refresh_car_price_segments(id) FROM cars`);
  log(`  rental rules: seasons, discounts, minimums, buffers, opening hours, delivery; search's price rows`);

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
    turnaround: [] as number[],
  };
  const flush = async () => {
    if (columns.car.length === 0) return;
    await pool.query(
      `INSERT INTO reservations (car_id, kind, status, start_date, end_date, customer_id, expires_at, days, daily_rate_at_booking,
                                 subtotal, fees, tax, total_price, deposit_amount, reason, turnaround_days)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::date[], $5::date[], $6::uuid[], $7::timestamptz[], $8::int[], $9::int[],
                            $10::int[], $11::int[], $12::int[], $13::int[], $14::int[], $15::text[], $16::int2[])`,
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
      // The car's turnaround buffer after each rental: the next one starts after it.
      const buffer = turnaround.get(car.id) ?? 0;
      const endDay = day - buffer - Math.floor(exponential(gapMean));
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
        columns.turnaround.push(0);
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
      columns.turnaround.push(buffer);
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
 * The rules Phuket agencies rent by (issue 17), in the proportions the benchmark assumes, from
 * a random source of their own (the catalogue's draws stay those the earlier benchmarks used):
 * - ~60 % of cars with a high season 15 Dec–31 Mar at +30–60 %, split around a New-Year peak
 *   (28 Dec–3 Jan, +80–120 %), for this winter and the next; ~25 % with a monsoon low season
 *   (1 May–31 Oct, −10–20 %);
 * - weekly discounts (5–15 % from 7 days) on half the cars, monthly ones (15–30 % from 28 days)
 *   on a third; a 3-day minimum on a third of the scooters and a 5-day one in the New-Year
 *   peak; 24 hours' notice on a tenth; a 1-day turnaround on ~30 %;
 * - opening hours (08:00–20:00, some closed on Sundays) at ~40 % of agencies, half of them with
 *   an after-hours fee of 200–500 THB; every agency delivers to the airport and to one to three
 *   other landmarks (200–1,000 THB a hand-over).
 * Returns each car's turnaround, which its reservations keep between them.
 */
async function generateRentalRules(
  pool: pg.Pool,
  agencies: { id: string }[],
  cars: { id: string; dailyRate: number; model: { type: string } }[],
  today: string,
): Promise<Map<string, number>> {
  const random = randomSource(20261203);
  const percentOf = (rate: number, percent: number) => Math.round((rate * (100 + percent)) / 100 / 100) * 100;
  const year = Number(today.slice(0, 4));
  const seasons = {
    car: [] as string[],
    name: [] as string[],
    start: [] as string[],
    end: [] as string[],
    rate: [] as number[],
    minDays: [] as (number | null)[],
  };
  const addSeason = (carId: string, name: string, start: string, end: string, rate: number, minDays: number | null = null) => {
    seasons.car.push(carId);
    seasons.name.push(name);
    seasons.start.push(start);
    seasons.end.push(end);
    seasons.rate.push(Math.max(rate, 100));
    seasons.minDays.push(minDays);
  };
  const turnaround = new Map<string, number>();
  const rules = {
    id: [] as string[],
    weeklyPercent: [] as number[],
    monthlyPercent: [] as number[],
    minDays: [] as number[],
    notice: [] as number[],
    buffer: [] as number[],
  };
  for (const car of cars) {
    if (random.next() < 0.6) {
      const high = percentOf(car.dailyRate, random.int(30, 60));
      const peak = percentOf(car.dailyRate, random.int(80, 120));
      for (const winter of [year - 1, year, year + 1]) {
        addSeason(car.id, `High season ${winter}`, `${winter}-12-15`, `${winter}-12-27`, high);
        addSeason(car.id, `New Year ${winter + 1}`, `${winter}-12-28`, `${winter + 1}-01-03`, peak, 5);
        addSeason(car.id, `High season ${winter + 1}`, `${winter + 1}-01-04`, `${winter + 1}-03-31`, high);
      }
    }
    if (random.next() < 0.25) {
      const low = percentOf(car.dailyRate, -random.int(10, 20));
      for (const monsoon of [year, year + 1, year + 2]) addSeason(car.id, `Monsoon ${monsoon}`, `${monsoon}-05-01`, `${monsoon}-10-31`, low);
    }
    const buffer = random.next() < 0.3 ? 1 : 0;
    turnaround.set(car.id, buffer);
    rules.id.push(car.id);
    rules.weeklyPercent.push(random.next() < 0.5 ? random.int(5, 15) : 0);
    rules.monthlyPercent.push(random.next() < 1 / 3 ? random.int(15, 30) : 0);
    rules.minDays.push(car.model.type === 'scooter' && random.next() < 1 / 3 ? 3 : 1);
    rules.notice.push(random.next() < 0.1 ? 24 : 0);
    rules.buffer.push(buffer);
  }
  await pool.query(
    `UPDATE cars SET weekly_discount_percent = r.weekly, monthly_discount_percent = r.monthly, min_rental_days = r.min_days,
                     min_notice_hours = r.notice, turnaround_days = r.buffer
     FROM unnest($1::uuid[], $2::int2[], $3::int2[], $4::int2[], $5::int2[], $6::int2[]) AS r (id, weekly, monthly, min_days, notice, buffer)
     WHERE cars.id = r.id`,
    [rules.id, rules.weeklyPercent, rules.monthlyPercent, rules.minDays, rules.notice, rules.buffer],
  );
  for (let from = 0; from < seasons.car.length; from += BATCH) {
    const slice = <T>(values: T[]) => values.slice(from, from + BATCH);
    await pool.query(
      `INSERT INTO car_seasons (car_id, name, start_date, end_date, daily_rate, min_rental_days)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::date[], $4::date[], $5::int[], $6::int2[])`,
      [slice(seasons.car), slice(seasons.name), slice(seasons.start), slice(seasons.end), slice(seasons.rate), slice(seasons.minDays)],
    );
  }

  const landmarks = (await pool.query<{ slug: string }>(`SELECT slug FROM landmarks WHERE slug <> 'phuket-airport' ORDER BY slug`)).rows.map((row) => row.slug);
  const hours = { agency: [] as string[], weekday: [] as number[] };
  const fees = { agency: [] as string[], fee: [] as number[] };
  const delivery = { agency: [] as string[], landmark: [] as string[], fee: [] as number[] };
  for (const agency of agencies) {
    if (random.next() < 0.4) {
      const closedOnSunday = random.next() < 0.3;
      for (let weekday = 1; weekday <= (closedOnSunday ? 6 : 7); weekday++) {
        hours.agency.push(agency.id);
        hours.weekday.push(weekday);
      }
      if (random.next() < 0.5) {
        fees.agency.push(agency.id);
        fees.fee.push(random.int(4, 10) * 5_000);
      }
    }
    const places = new Set(['phuket-airport', ...Array.from({ length: random.int(1, 3) }, () => random.pick(landmarks))]);
    for (const landmark of places) {
      delivery.agency.push(agency.id);
      delivery.landmark.push(landmark);
      delivery.fee.push(random.int(4, 20) * 5_000);
    }
  }
  await pool.query(
    `INSERT INTO agency_opening_hours (agency_id, weekday, opens, closes)
     SELECT agency_id, weekday, '08:00', '20:00' FROM unnest($1::uuid[], $2::int2[]) AS h (agency_id, weekday)`,
    [hours.agency, hours.weekday],
  );
  await pool.query(`UPDATE agencies SET after_hours_fee = f.fee FROM unnest($1::uuid[], $2::int[]) AS f (id, fee) WHERE agencies.id = f.id`, [
    fees.agency,
    fees.fee,
  ]);
  await pool.query(`INSERT INTO agency_delivery_options (agency_id, landmark_slug, fee) SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[])`, [
    delivery.agency,
    delivery.landmark,
    delivery.fee,
  ]);
  return turnaround;
}

/**
 * Throws unless no two date-holding reservations of a car overlap, turnaround buffers included: what the exclusion
 * constraint guarantees, checked after a load made without it (one sort, not a GiST probe a row).
 */
export async function assertNoOverlaps(pool: pg.Pool): Promise<void> {
  const {
    rows: [result],
  } = await pool.query<{ overlaps: string }>(`
    SELECT count(*) AS overlaps FROM (
      SELECT start_date, lag(held_until) OVER (PARTITION BY car_id ORDER BY start_date) AS previous_end
      FROM reservations WHERE status IN ('pending', 'confirmed', 'completed')) AS held
    WHERE previous_end >= start_date`);
  if (Number(result!.overlaps) !== 0) throw new Error(`${result!.overlaps} overlapping date-holding reservations`);
}
