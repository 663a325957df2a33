import { sql, type Kysely, type Updateable } from 'kysely';
import { todayInBangkok } from '../availability/dates';
import type { Database } from '../database';
import { Conflict, NotFound, sqlState, ValidationError } from '../errors';
import { keysetPage, pageFrom, pagePosition, type Page, type PageRequest, type SortKey } from '../pagination';
import { carHasUpcomingBooking } from '../reservations/repository';
import { runObjectDeletionsAfterCommit, scheduleObjectDeletions } from './object-deletions';
import type { ImageStorage } from './image-storage';
import { uploadKeyOf } from './image-keys';
import type { CarChanges, CarInput } from './shape';
import type { Car, CarImage, CarsTable } from './table';

/**
 * An agency's inventory. Every function is scoped to one agency: another agency's car, like a
 * deleted one, is simply not found (404, never 403: we do not confirm that it exists).
 */

export type ReadyImage = Pick<CarImage, 'id' | 's3_key' | 'position'>;

export interface CarWithImages extends Car {
  /** Only ready photos, by position. */
  images: ReadyImage[];
}

const NOT_FOUND = 'No such car in your agency.';

/** The agency's cars that exist: not another agency's, not deleted. */
function ownCars(db: Kysely<Database>, agencyId: string) {
  return db.selectFrom('cars').where('cars.agency_id', '=', agencyId).where('cars.deleted_at', 'is', null);
}

/**
 * One of the agency's cars, or 404. With `lock`, the row stays locked until the transaction
 * ends: deletes, photo counts and positions are decided one at a time per car, and no booking
 * (whose foreign key takes a share lock on the car) can slip in meanwhile.
 */
export async function findOwnCar(db: Kysely<Database>, agencyId: string, carId: string, options: { lock?: boolean } = {}): Promise<Car> {
  let query = ownCars(db, agencyId).selectAll('cars').where('cars.id', '=', carId);
  if (options.lock) query = query.forUpdate();
  const car = await query.executeTakeFirst();
  if (!car) throw new NotFound(NOT_FOUND);
  return car;
}

async function readyImagesOf(db: Kysely<Database>, carIds: string[]): Promise<Map<string, ReadyImage[]>> {
  const byCar = new Map<string, ReadyImage[]>(carIds.map((id) => [id, []]));
  if (carIds.length === 0) return byCar;
  const images = await db
    .selectFrom('car_images')
    .select(['id', 'car_id', 's3_key', 'position'])
    .where('car_id', 'in', carIds)
    .where('status', '=', 'ready')
    .orderBy('position')
    .orderBy('id')
    .execute();
  for (const { car_id, ...image } of images) byCar.get(car_id)!.push(image);
  return byCar;
}

async function withImages(db: Kysely<Database>, car: Car): Promise<CarWithImages> {
  const images = await readyImagesOf(db, [car.id]);
  return { ...car, images: images.get(car.id)! };
}

/** The agency's list order, oldest first; created_at alone is not unique. */
const OLDEST_FIRST: SortKey[] = [
  { expression: sql.ref('cars.created_at'), direction: 'asc', type: 'timestamptz' },
  { expression: sql.ref('cars.id'), direction: 'asc', type: 'uuid' },
];

/** A page of the agency's cars, published or not, oldest first; `toItem` shapes each car. */
export async function listAgencyCars<Item>(
  db: Kysely<Database>,
  agencyId: string,
  page: PageRequest,
  toItem: (car: CarWithImages) => Item,
): Promise<Page<Item>> {
  const position = pagePosition(OLDEST_FIRST, page);
  const rows = await keysetPage(ownCars(db, agencyId).selectAll('cars'), position).execute();
  const images = await readyImagesOf(
    db,
    rows.map((row) => row.id),
  );
  return pageFrom(rows, position, (car) => toItem({ ...car, images: images.get(car.id)! }));
}

export async function getAgencyCar(db: Kysely<Database>, agencyId: string, carId: string): Promise<CarWithImages> {
  return withImages(db, await findOwnCar(db, agencyId, carId));
}

/**
 * Cars an agency may have at once (deleted ones do not count). Far above a real Phuket fleet;
 * it bounds what one account can flood search with.
 */
export const MAX_CARS_PER_AGENCY = 200;

/**
 * A new car of the agency; unpublished unless the input says otherwise. 409 when the agency
 * already has MAX_CARS_PER_AGENCY cars. The agency row stays locked from the count to commit,
 * so parallel requests count one after another and cannot all slip under the cap.
 * `beforeInsert` runs between the count and the insert (tests hold transactions there).
 */
export async function createCar(
  db: Kysely<Database>,
  agencyId: string,
  input: CarInput,
  hooks: { beforeInsert?: () => Promise<void> } = {},
): Promise<CarWithImages> {
  return db.transaction().execute(async (trx) => {
    await trx.selectFrom('agencies').select('id').where('id', '=', agencyId).forUpdate().executeTakeFirstOrThrow();
    const { count } = await trx
      .selectFrom('cars')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('agency_id', '=', agencyId)
      .where('deleted_at', 'is', null)
      .executeTakeFirstOrThrow();
    if (count >= MAX_CARS_PER_AGENCY) {
      throw new Conflict(`An agency can have at most ${MAX_CARS_PER_AGENCY} cars, and yours has ${count}. Delete a car you no longer rent out first.`);
    }
    await hooks.beforeInsert?.();
    const car = await discountTiersChecked(input, () =>
      trx
        .insertInto('cars')
        .values({ ...carColumns(input), agency_id: agencyId })
        .returningAll()
        .executeTakeFirstOrThrow(),
    );
    return { ...car, images: [] };
  });
}

type DiscountColumns = Pick<Updateable<CarsTable>, 'weekly_discount_days' | 'weekly_discount_percent' | 'monthly_discount_days' | 'monthly_discount_percent'>;

/** The car's columns for fields as the API sends them: a length-discount tier is two columns, and only the parts sent are written. */
function carColumns<Fields extends CarChanges>(fields: Fields): Omit<Fields, 'weekly_discount' | 'monthly_discount'> & DiscountColumns {
  const { weekly_discount: weekly, monthly_discount: monthly, ...columns } = fields;
  return {
    ...columns,
    ...(weekly?.from_days !== undefined ? { weekly_discount_days: weekly.from_days } : {}),
    ...(weekly?.percent !== undefined ? { weekly_discount_percent: weekly.percent } : {}),
    ...(monthly?.from_days !== undefined ? { monthly_discount_days: monthly.from_days } : {}),
    ...(monthly?.percent !== undefined ? { monthly_discount_percent: monthly.percent } : {}),
  };
}

/**
 * The monthly discount tier starts after the weekly one (the CHECK cars_discount_tiers_ordered).
 * A body with both thresholds was checked already (core/cars/shape.ts); one that sends a single
 * threshold is checked here against the stored other, by the database itself, and answered as
 * the 400 it is, naming the field sent.
 */
async function discountTiersChecked<T>(fields: CarChanges, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (sqlState(error) === '23514' && (error as { constraint?: string }).constraint === 'cars_discount_tiers_ordered') {
      const field = fields.monthly_discount?.from_days !== undefined ? 'monthly_discount' : 'weekly_discount';
      throw new ValidationError('The request body failed validation.', {
        errors: [
          { path: `${field}.from_days`, message: 'the monthly discount tier must start after the weekly one (more days than weekly_discount.from_days)' },
        ],
        cause: error,
      });
    }
    throw error;
  }
}

export async function updateCar(db: Kysely<Database>, agencyId: string, carId: string, changes: CarChanges): Promise<CarWithImages> {
  const car = await discountTiersChecked(changes, () =>
    db
      .updateTable('cars')
      .set({ ...carColumns(changes), updated_at: sql<Date>`now()` })
      .where('id', '=', carId)
      .where('agency_id', '=', agencyId)
      .where('deleted_at', 'is', null)
      .returningAll()
      .executeTakeFirst(),
  );
  if (!car) throw new NotFound(NOT_FOUND);
  return withImages(db, car);
}

/**
 * Deletes a car, unless it has a pending (hold not yet expired) or confirmed booking ending
 * today or later (Asia/Bangkok): then the agency should unpublish it instead (409). A completed
 * rental never stops it, even one returned today.
 * A car with any reservation history is only marked deleted, so past bookings keep their car;
 * one without is removed. Its photos go either way, rows and objects.
 *
 * One transaction with the car row locked; the photos' objects are recorded there for removal
 * and removed after the commit (core/cars/object-deletions.ts): no store call while the car is
 * locked, and none lost if the store fails (the scheduled job retries).
 */
export async function deleteCar(db: Kysely<Database>, storage: ImageStorage, agencyId: string, carId: string): Promise<void> {
  const objects = await db.transaction().execute(async (trx) => {
    await findOwnCar(trx, agencyId, carId, { lock: true });

    if (await carHasUpcomingBooking(trx, carId, todayInBangkok())) {
      throw new Conflict(
        'This car has upcoming pending or confirmed bookings, so it cannot be deleted. Unpublish it instead (PATCH with is_published: false).',
      );
    }

    const images = await trx.deleteFrom('car_images').where('car_id', '=', carId).returning('s3_key').execute();

    const history = await trx.selectFrom('reservations').select('id').where('car_id', '=', carId).limit(1).executeTakeFirst();
    if (history) {
      await trx
        .updateTable('cars')
        .set({ deleted_at: sql<Date>`now()`, updated_at: sql<Date>`now()`, is_published: false })
        .where('id', '=', carId)
        .execute();
    } else {
      await trx.deleteFrom('cars').where('id', '=', carId).execute();
    }

    const keys = images.flatMap(({ s3_key }) => [s3_key, uploadKeyOf(s3_key)]);
    await scheduleObjectDeletions(trx, keys);
    return keys;
  });
  await runObjectDeletionsAfterCommit(db, storage, objects);
}
