import { sql, type Kysely } from 'kysely';

/**
 * Public search and geo-search, on cube + earthdistance (PostGIS is not
 * available on the embedded server; both extensions ship with Aurora too).
 *
 * - cars.location: the car's effective position as an `earth` point: its own lat/lng, else
 *   its agency's. Triggers keep it right whoever writes cars or agencies, so one GiST index
 *   serves radius filters (earth_box @>) and nearest-first ordering (<->, KNN).
 * - landmarks: the Phuket places a search can be centred on.
 * - Indexes for the search's hot paths, chosen by measurement (docs/benchmarks.md).
 *
 * Frozen in time: migrations never import application code.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE cars ADD COLUMN location earth`.execute(db);

  await sql`
    CREATE FUNCTION cars_set_location() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.lat IS NOT NULL AND NEW.lng IS NOT NULL THEN
        NEW.location := ll_to_earth(NEW.lat, NEW.lng);
      ELSE
        SELECT ll_to_earth(agencies.lat, agencies.lng) INTO NEW.location FROM agencies WHERE agencies.id = NEW.agency_id;
      END IF;
      RETURN NEW;
    END
    $$`.execute(db);
  // Also on UPDATE OF location: nobody can write a location that disagrees with lat/lng.
  await sql`
    CREATE TRIGGER cars_location BEFORE INSERT OR UPDATE OF lat, lng, agency_id, location ON cars
    FOR EACH ROW EXECUTE FUNCTION cars_set_location()`.execute(db);

  // An agency that moves takes its cars without a position of their own along.
  await sql`
    CREATE FUNCTION agencies_move_cars() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE cars SET location = ll_to_earth(NEW.lat, NEW.lng) WHERE agency_id = NEW.id AND lat IS NULL;
      RETURN NULL;
    END
    $$`.execute(db);
  await sql`
    CREATE TRIGGER agencies_location AFTER UPDATE OF lat, lng ON agencies
    FOR EACH ROW WHEN (OLD.lat IS DISTINCT FROM NEW.lat OR OLD.lng IS DISTINCT FROM NEW.lng)
    EXECUTE FUNCTION agencies_move_cars()`.execute(db);

  await sql`UPDATE cars SET location = NULL`.execute(db); // the trigger fills in every existing car
  await sql`ALTER TABLE cars ALTER COLUMN location SET NOT NULL`.execute(db);

  // Search only ever shows published, non-deleted cars: every search index is partial on that.
  // Radius filter (earth_box(origin, r) @> location) and nearest-first (location <-> origin).
  await sql`CREATE INDEX cars_search_location_idx ON cars USING gist (location) WHERE is_published AND deleted_at IS NULL`.execute(db);
  // Cheapest first, walking cars in (daily_rate, id) order and probing each for a conflict,
  // stops after one page; with a type filter the type leads.
  await sql`CREATE INDEX cars_search_price_idx ON cars (daily_rate, id) WHERE is_published AND deleted_at IS NULL`.execute(db);
  await sql`CREATE INDEX cars_search_type_price_idx ON cars (car_type, daily_rate, id) WHERE is_published AND deleted_at IS NULL`.execute(db);
  // An agency's published cars (agency filter, car_count, ordering by agency rating).
  await sql`CREATE INDEX cars_search_agency_price_idx ON cars (agency_id, daily_rate, id) WHERE is_published AND deleted_at IS NULL`.execute(db);
  await sql`CREATE INDEX agencies_rating_idx ON agencies (rating_average DESC, review_count DESC, id)`.execute(db);

  // The per-car conflict probe: only date-holding reservations, keyed by car and end date, with
  // everything the rule reads included, so a probe is an index-only scan of a few entries.
  // (The exclusion constraint's GiST index, period first, is slow to probe for one car.)
  await sql`
    CREATE INDEX reservations_holding_idx ON reservations (car_id, end_date)
    INCLUDE (start_date, status, expires_at)
    WHERE status IN ('pending', 'confirmed')`.execute(db);

  await sql`
    CREATE TABLE landmarks (
      slug text PRIMARY KEY CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND char_length(slug) <= 60),
      name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
      lat  double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
      lng  double precision NOT NULL CHECK (lng BETWEEN -180 AND 180)
    )`.execute(db);
  await db
    .insertInto('landmarks')
    .values(LANDMARKS.map(([slug, name, lat, lng]) => ({ slug, name, lat, lng })))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE landmarks`.execute(db);
  await sql`DROP INDEX reservations_holding_idx`.execute(db);
  await sql`DROP INDEX agencies_rating_idx`.execute(db);
  await sql`DROP TRIGGER agencies_location ON agencies`.execute(db);
  await sql`DROP FUNCTION agencies_move_cars()`.execute(db);
  await sql`DROP TRIGGER cars_location ON cars`.execute(db);
  await sql`DROP FUNCTION cars_set_location()`.execute(db);
  await sql`ALTER TABLE cars DROP COLUMN location`.execute(db); // drops its indexes with it
  await sql`DROP INDEX cars_search_price_idx`.execute(db);
  await sql`DROP INDEX cars_search_type_price_idx`.execute(db);
  await sql`DROP INDEX cars_search_agency_price_idx`.execute(db);
}

/** Phuket landmarks (WGS 84, to about 100 m): [slug, name, lat, lng]. */
const LANDMARKS: Array<[string, string, number, number]> = [
  ['phuket-airport', 'Phuket International Airport (HKT)', 8.1132, 98.3169],
  ['mai-khao-beach', 'Mai Khao Beach', 8.1453, 98.295],
  ['nai-yang-beach', 'Nai Yang Beach', 8.0889, 98.2966],
  ['bang-tao-beach', 'Bang Tao Beach (Laguna)', 8.0012, 98.2937],
  ['surin-beach', 'Surin Beach', 7.9759, 98.2786],
  ['kamala-beach', 'Kamala Beach', 7.9526, 98.2817],
  ['patong-beach', 'Patong Beach', 7.896, 98.2958],
  ['karon-beach', 'Karon Beach', 7.846, 98.2939],
  ['kata-beach', 'Kata Beach', 7.82, 98.2978],
  ['nai-harn-beach', 'Nai Harn Beach', 7.777, 98.3036],
  ['promthep-cape', 'Promthep Cape', 7.7614, 98.3056],
  ['rawai-beach', 'Rawai Beach', 7.7729, 98.3262],
  ['chalong-pier', 'Chalong Pier', 7.8211, 98.3613],
  ['wat-chalong', 'Wat Chalong', 7.8468, 98.3368],
  ['big-buddha', 'Big Buddha', 7.8277, 98.3128],
  ['phuket-old-town', 'Phuket Old Town (Thalang Road)', 7.8846, 98.3881],
  ['central-phuket', 'Central Phuket Floresta and Festival', 7.8915, 98.3682],
  ['rassada-pier', 'Rassada Pier', 7.8573, 98.4011],
];
