import type pg from 'pg';

/**
 * The benchmarks' marketplace in one statement: an agency admin (verified), its agency in
 * Patong and `cars` published scooters ("Click 1" …, 250–440 THB a day, 2,000 THB deposit).
 * Returns the cars' ids in id order.
 */
export async function insertBenchFleet(pool: pg.Pool, cars: number): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>(
    `WITH admin AS (
      INSERT INTO users (cognito_sub, email, full_name, role, email_verified_at) VALUES ('bench-admin', 'admin@bench.example', 'Bench Admin', 'agency_admin', now()) RETURNING id
    ), agency AS (
      INSERT INTO agencies (admin_user_id, name, phone, address, lat, lng)
      SELECT id, 'Bench Rentals', '+66 76 000 000', 'Patong', 7.8961, 98.2967 FROM admin RETURNING id
    )
    INSERT INTO cars (agency_id, make, model, year, car_type, transmission, seats, fuel_type, daily_rate, deposit_amount, is_published)
    SELECT agency.id, 'Honda', 'Click ' || i, 2025, 'scooter', 'automatic', 2, 'petrol', 25000 + (i % 20) * 1000, 200000, true
    FROM agency, generate_series(1, $1::int) AS i
    RETURNING id`,
    [cars],
  );
  return rows.map((row) => row.id).sort();
}
