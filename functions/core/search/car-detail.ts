import { sql, type Kysely } from 'kysely';
import { isCarAvailable, unavailableRanges, type DateRange } from '../availability/conflicts';
import { addDays } from '../availability/dates';
import type { Database } from '../database';
import { NotFound } from '../errors';
import { priceRental, type PricingRates } from '../pricing/pricing';
import type { PublicCarJson } from './shape';

/** How far ahead car detail lists the days a car is taken. */
export const UNAVAILABLE_WINDOW_DAYS = 90;

/**
 * One published, non-deleted car as the public sees it (404 otherwise), with its agency and
 * ready photos, whether it is free on the requested days (the shared availability rule) and
 * the days it is taken in the next 90.
 */
export async function getPublicCar(
  db: Kysely<Database>,
  carId: string,
  options: { dates?: DateRange; today: string; rates: PricingRates; imageUrl: ((s3Key: string) => string) | undefined },
): Promise<PublicCarJson> {
  const car = await db
    .selectFrom('cars as c')
    .innerJoin('agencies as a', 'a.id', 'c.agency_id')
    .select([
      'c.id',
      'c.make',
      'c.model',
      'c.year',
      'c.car_type',
      'c.transmission',
      'c.seats',
      'c.fuel_type',
      'c.daily_rate',
      'c.deposit_amount',
      'c.currency',
      'c.description',
      'c.pickup_address',
      sql<number>`coalesce(c.lat, a.lat)`.as('lat'),
      sql<number>`coalesce(c.lng, a.lng)`.as('lng'),
      'a.id as agency_id',
      'a.name as agency_name',
      'a.phone as agency_phone',
      'a.address as agency_address',
      'a.rating_average as agency_rating_average',
      'a.review_count as agency_review_count',
      sql<string[]>`ARRAY(
        SELECT i.s3_key FROM car_images AS i
        WHERE i.car_id = c.id AND i.status = 'ready'
        ORDER BY i.position, i.id)`.as('image_keys'),
    ])
    .where('c.id', '=', carId)
    .where('c.is_published', '=', true)
    .where('c.deleted_at', 'is', null)
    .executeTakeFirst();
  if (!car) throw new NotFound('No published car has this id.');

  const window = { startDate: options.today, endDate: addDays(options.today, UNAVAILABLE_WINDOW_DAYS - 1) };
  const taken = await unavailableRanges(db, carId, window);
  const { dates } = options;
  const available = dates ? await isCarAvailable(db, carId, dates.startDate, dates.endDate) : undefined;
  const price = dates
    ? priceRental({ dailyRate: car.daily_rate, depositAmount: car.deposit_amount, startDate: dates.startDate, endDate: dates.endDate }, options.rates)
    : undefined;

  return {
    id: car.id,
    make: car.make,
    model: car.model,
    year: car.year,
    car_type: car.car_type,
    transmission: car.transmission,
    seats: car.seats,
    fuel_type: car.fuel_type,
    daily_rate: car.daily_rate,
    deposit_amount: car.deposit_amount,
    currency: car.currency,
    description: car.description,
    pickup_address: car.pickup_address,
    lat: car.lat,
    lng: car.lng,
    images: options.imageUrl ? car.image_keys.map((key) => ({ url: options.imageUrl!(key) })) : [],
    agency: {
      id: car.agency_id,
      name: car.agency_name,
      phone: car.agency_phone,
      address: car.agency_address,
      rating_average: car.agency_rating_average,
      review_count: car.agency_review_count,
    },
    ...(dates && price
      ? {
          availability: { start_date: dates.startDate, end_date: dates.endDate, available: available! },
          price: {
            days: price.days,
            daily_rate: price.daily_rate_at_booking,
            subtotal: price.subtotal,
            fees: price.fees,
            tax: price.tax,
            total_price: price.total_price,
            deposit_amount: price.deposit_amount,
            currency: price.currency,
          },
        }
      : {}),
    unavailable_ranges: taken.map((range) => ({ start_date: range.startDate, end_date: range.endDate })),
  };
}
