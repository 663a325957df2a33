import { sql, type Kysely, type SqlBool } from 'kysely';
import { conflictExists, unavailableRanges } from '../availability/conflicts';
import { addDays, todayInBangkok } from '../availability/dates';
import type { Database } from '../database';
import { NotFound, RentalRuleBroken, ValidationError } from '../errors';
import { unknownHandOverPlaces } from '../geo/landmarks';
import type { PricingRates } from '../pricing/pricing';
import { parseRentalTerms, quoteRental, rentalRuleBroken, rentalTermsJson, type RentalRequest, type RentalTerms } from '../pricing/terms';
import type { PublicCarJson, RentalTermsJson } from './shape';

/** How far ahead car detail lists the days a car is taken. */
export const UNAVAILABLE_WINDOW_DAYS = 90;

/**
 * One published, non-deleted car as the public sees it (404 otherwise), with its agency, ready
 * photos and rental terms, the days in the next 90 no rental can include, and, for a request:
 * whether a booking of it would be accepted (free with the car's turnaround buffer, and no
 * rental rule broken, the first broken one named) and its price, from the same terms and the
 * same pricing function as search and booking. Two round trips: the car (with its terms and,
 * for a request, the availability probe), then its taken days.
 */
export async function getPublicCar(
  db: Kysely<Database>,
  carId: string,
  options: { request?: RentalRequest; now: Date; rates: PricingRates; imageUrl: ((s3Key: string) => string) | undefined },
): Promise<PublicCarJson> {
  const { request, now } = options;
  // Bad input before state: an unknown landmark is a 400 even for an unknown car.
  if (request) await requireKnownLandmarks(db, request);
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
      rentalTermsJson('c', 'a').as('terms'),
      // The car's own buffer after the requested end, and existing rentals' buffers (held_until).
      (request ? conflictExists(sql.ref('c.id'), request, sql.ref('c.turnaround_days')) : sql<SqlBool>`false`).as('taken'),
    ])
    .where('c.id', '=', carId)
    .where('c.is_published', '=', true)
    .where('c.deleted_at', 'is', null)
    .executeTakeFirst();
  if (!car) throw new NotFound('No published car has this id.');

  const terms = parseRentalTerms(car.terms);
  const today = todayInBangkok(now);
  const window = { startDate: today, endDate: addDays(today, UNAVAILABLE_WINDOW_DAYS - 1) };
  const taken = await unavailableRanges(db, carId, window, terms.turnaroundDays);

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
    ...(request ? requestAnswer(terms, request, { taken: Boolean(car.taken), now, rates: options.rates }) : {}),
    rental_terms: publicRentalTerms(terms, today),
    unavailable_ranges: taken.map((range) => ({ start_date: range.startDate, end_date: range.endDate })),
  };
}

/** What car detail says about a request: whether a booking of it would be accepted, and its price. */
function requestAnswer(
  terms: RentalTerms,
  request: RentalRequest,
  context: { taken: boolean; now: Date; rates: PricingRates },
): Pick<PublicCarJson, 'availability' | 'price' | 'price_breakdown'> {
  const broken = rentalRuleBroken(terms, request, context.now);
  const availability = {
    start_date: request.startDate,
    end_date: request.endDate,
    available: !context.taken && broken === undefined,
    ...(broken ? { rule: { rule: broken.rule, detail: broken.message } } : {}),
  };
  let price;
  try {
    price = quoteRental(terms, request, context.rates);
  } catch (error) {
    // A place the agency does not serve, or an hour it does not hand over at: no price to show.
    if (error instanceof RentalRuleBroken) return { availability };
    throw error;
  }
  return {
    availability,
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
    price_breakdown: price.breakdown,
  };
}

/** The terms a traveller needs before booking; seasons already over are left out. */
function publicRentalTerms(terms: RentalTerms, today: string): RentalTermsJson {
  return {
    seasons: terms.seasons
      .filter((season) => season.endDate >= today)
      .map((season) => ({
        name: season.name,
        start_date: season.startDate,
        end_date: season.endDate,
        daily_rate: season.dailyRate,
        min_rental_days: season.minRentalDays,
      })),
    weekly_discount: { from_days: terms.lengthDiscounts.weekly.fromDays, percent: terms.lengthDiscounts.weekly.percent },
    monthly_discount: { from_days: terms.lengthDiscounts.monthly.fromDays, percent: terms.lengthDiscounts.monthly.percent },
    min_rental_days: terms.minRentalDays,
    min_notice_hours: terms.minNoticeHours,
    max_lead_days: terms.maxLeadDays,
    turnaround_days: terms.turnaroundDays,
    opening_hours: terms.openingHours.map((hours) => ({ weekday: hours.weekday, opens: hours.opens, closes: hours.closes })),
    after_hours_fee: terms.afterHoursFee,
    delivery: Object.entries(terms.deliveryFees).map(([landmark, fee]) => ({ landmark, fee })),
  };
}

/** A landmark slug that names no landmark is a bad query parameter (400), as in search. */
async function requireKnownLandmarks(db: Kysely<Database>, request: RentalRequest): Promise<void> {
  const errors = await unknownHandOverPlaces(db, request);
  if (errors.length > 0) throw new ValidationError('The request names a landmark that does not exist.', { errors });
}
