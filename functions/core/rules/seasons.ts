import { sql, type Kysely } from 'kysely';
import { findOwnCar } from '../cars/inventory';
import type { Database } from '../database';
import { Conflict, NotFound, sqlState } from '../errors';
import { percentOf } from '../pricing/pricing';
import { MAX_SEASONS_PER_CAR, seasonJson, type RatePlanBody, type SeasonInput, type SeasonJson, type SeasonListJson } from './shape';

/**
 * A car's seasons (date-ranged daily rates, one-off peaks included), as its agency manages them.
 * Scoped to the agency: another agency's car, like a deleted one, is not found (404). The
 * database keeps one rate a day (car_seasons_no_overlap) whatever the code above it does, and
 * moves the car's terms_version on every change, so a booking priced from the old seasons is
 * refused and priced again (hold_booking()); stored bookings keep the price they were charged.
 */

const SEASON_COLUMNS = ['id', 'car_id', 'name', 'start_date', 'end_date', 'daily_rate', 'min_rental_days'] as const;

/** The car's seasons by start date; 404 when the car is not the agency's. */
export async function listSeasons(db: Kysely<Database>, agencyId: string, carId: string): Promise<SeasonListJson> {
  await findOwnCar(db, agencyId, carId);
  const rows = await db.selectFrom('car_seasons').select(SEASON_COLUMNS).where('car_id', '=', carId).orderBy('start_date').execute();
  return { seasons: rows.map(seasonJson) };
}

/**
 * Replaces all the car's seasons with these, in one transaction with the car locked: a
 * concurrent replacement waits and then replaces this one's, never mixes with it. The body was
 * checked for overlaps already (ReplaceSeasonsBody); the constraint is the backstop.
 */
export async function replaceSeasons(db: Kysely<Database>, agencyId: string, carId: string, seasons: SeasonInput[]): Promise<SeasonListJson> {
  return db.transaction().execute(async (trx) => {
    await findOwnCar(trx, agencyId, carId, { lock: true });
    await trx.deleteFrom('car_seasons').where('car_id', '=', carId).execute();
    if (seasons.length > 0) {
      await overlapsRefused(() =>
        trx
          .insertInto('car_seasons')
          .values(seasons.map((season) => ({ car_id: carId, ...season, min_rental_days: season.min_rental_days ?? null })))
          .execute(),
      );
    }
    const rows = await trx.selectFrom('car_seasons').select(SEASON_COLUMNS).where('car_id', '=', carId).orderBy('start_date').execute();
    return { seasons: rows.map(seasonJson) };
  });
}

/**
 * Adds one season to each listed car of the agency, all or nothing: 404 when any car is not
 * the agency's, 409 naming every car that already has a season on one of these days (or has
 * MAX_SEASONS_PER_CAR already). A rate given as a percentage is each car's base rate times it,
 * rounded half-up to a satang (percentOf(), as every price), and at least one satang.
 * The cars are locked in id order, so two plans over the same cars wait for each other instead
 * of deadlocking, and a season added meanwhile by PUT …/seasons/ is seen by the overlap check.
 */
export async function addRatePlan(db: Kysely<Database>, agencyId: string, plan: RatePlanBody): Promise<SeasonJson[]> {
  return db.transaction().execute(async (trx) => {
    const cars = await trx
      .selectFrom('cars')
      .select(['id', 'make', 'model', 'daily_rate'])
      .where('agency_id', '=', agencyId)
      .where('deleted_at', 'is', null)
      .where('id', 'in', plan.car_ids)
      .orderBy('id')
      .forUpdate()
      .execute();
    if (cars.length < plan.car_ids.length) {
      const own = new Set(cars.map((car) => car.id));
      const missing = plan.car_ids.filter((id) => !own.has(id));
      throw new NotFound(`No such car in your agency: ${missing.join(', ')}. Nothing was added.`);
    }
    const carName = new Map(cars.map((car) => [car.id, `${car.make} ${car.model} (${car.id})`]));

    const overlapping = await trx
      .selectFrom('car_seasons')
      .select(['car_id', 'name', 'start_date', 'end_date'])
      .where('car_id', 'in', plan.car_ids)
      .where(sql<boolean>`period && daterange(${plan.start_date}::date, ${plan.end_date}::date, '[]')`)
      .orderBy('car_id')
      .orderBy('start_date')
      .execute();
    if (overlapping.length > 0) {
      const clashes = overlapping.map((season) => `${carName.get(season.car_id)} has ${season.name} from ${season.start_date} to ${season.end_date}`);
      throw new Conflict(
        `A day has one rate, and some of these cars already have a season on these days: ${clashes.join('; ')}. Nothing was added: change those seasons (PUT /agency/cars/{id}/seasons/) or the dates.`,
      );
    }
    const full = await trx
      .selectFrom('car_seasons')
      .select('car_id')
      .where('car_id', 'in', plan.car_ids)
      .groupBy('car_id')
      .having((eb) => eb.fn.countAll(), '>=', MAX_SEASONS_PER_CAR)
      .execute();
    if (full.length > 0) {
      throw new Conflict(
        `A car has at most ${MAX_SEASONS_PER_CAR} seasons, and these have that many already: ${full.map((row) => carName.get(row.car_id)).join(', ')}. Nothing was added.`,
      );
    }

    const rows = await overlapsRefused(() =>
      trx
        .insertInto('car_seasons')
        .values(
          cars.map((car) => ({
            car_id: car.id,
            name: plan.name,
            start_date: plan.start_date,
            end_date: plan.end_date,
            daily_rate: plan.daily_rate ?? Math.max(1, percentOf(car.daily_rate, plan.percent_of_base_rate! * 100)),
            min_rental_days: plan.min_rental_days ?? null,
          })),
        )
        .returning(SEASON_COLUMNS)
        .execute(),
    );
    // In the order the agency listed its cars.
    const byCar = new Map(rows.map((row) => [row.car_id, row]));
    return plan.car_ids.map((id) => seasonJson(byCar.get(id)!));
  });
}

/** The no-overlap constraint's refusal as the 409 it is (not the booking conflict every other 23P01 is). */
async function overlapsRefused<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (sqlState(error) === '23P01') {
      throw new Conflict('A day has one rate: these seasons overlap a season the car has. Nothing was changed.', { cause: error });
    }
    throw error;
  }
}
