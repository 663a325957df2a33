import * as z from 'zod';
import { isCalendarDate, MAX_MONTHS_AHEAD, MAX_RENTAL_DAYS, rentalRangeProblems, todayInBangkok } from '#core/availability/dates';
import { CAR_TYPES, FUEL_TYPES, TRANSMISSIONS } from '#core/cars/table';
import { DEFAULT_RADIUS_KM, MAX_RADIUS_KM } from '#core/geo/place';
import { ORDERINGS } from '#core/search/search-cars';
import { defineRoute } from '#platform/route';
import { IdParams, PageQuery, pageOf, Uuid } from '#platform/schemas';

/** Public search (sprint 3 + geo-search): /cars/, /cars/{id}/, /landmarks/, /agencies/{id}/. */

const CalendarDate = z
  .string()
  .superRefine((value, ctx) => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) ctx.addIssue({ code: 'custom', message: 'must be a date as YYYY-MM-DD' });
    else if (!isCalendarDate(value)) ctx.addIssue({ code: 'custom', message: 'is not a calendar date' });
  })
  .meta({ description: `A day in Asia/Bangkok, YYYY-MM-DD; ranges are inclusive, at most ${MAX_RENTAL_DAYS} days, starting today or up to ${MAX_MONTHS_AHEAD} months ahead`, example: '2027-01-10' });

const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,10}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const Satang = wholeNumber(0, 2_147_483_647).meta({ description: 'Daily rate in satang (inclusive bound)', example: '150000' });

const LatLng = z
  .string()
  .max(60)
  .transform((value, ctx) => {
    const match = /^\s*(-?\d{1,3}(?:\.\d+)?)\s*,\s*(-?\d{1,3}(?:\.\d+)?)\s*$/.exec(value);
    const lat = Number(match?.[1]);
    const lng = Number(match?.[2]);
    if (!match || Math.abs(lat) > 90 || Math.abs(lng) > 180) {
      ctx.addIssue({ code: 'custom', message: 'must be lat,lng in decimal degrees, e.g. 7.8961,98.2967' });
      return z.NEVER;
    }
    return { lat, lng };
  })
  .meta({ description: 'Search around this point: lat,lng in decimal degrees', example: '7.8961,98.2967' });

const RadiusKm = z
  .string()
  .regex(/^\d{1,3}(\.\d{1,3})?$/, 'must be a number of kilometres')
  .transform(Number)
  .pipe(z.number().gt(0, 'must be more than 0').max(MAX_RADIUS_KM, `must be at most ${MAX_RADIUS_KM}`))
  .meta({ description: `Radius around near or landmark, km (default ${DEFAULT_RADIUS_KM}, at most ${MAX_RADIUS_KM})`, example: '5' });

const Slug = z.string().regex(/^[a-z0-9-]{1,60}$/, 'must be a landmark slug from /landmarks/').meta({ example: 'patong-beach' });

function addDateProblems(ctx: z.RefinementCtx, startDate: string, endDate: string): void {
  for (const problem of rentalRangeProblems(startDate, endDate, todayInBangkok())) {
    ctx.addIssue({ code: 'custom', path: [problem.path], message: problem.message });
  }
}

export const SearchQuery = z
  .strictObject({
    start_date: CalendarDate,
    end_date: CalendarDate,
    car_type: z.enum(CAR_TYPES, { message: `must be one of ${CAR_TYPES.join(', ')}` }).optional(),
    transmission: z.enum(TRANSMISSIONS, { message: `must be one of ${TRANSMISSIONS.join(', ')}` }).optional(),
    min_price: Satang.optional(),
    max_price: Satang.optional(),
    seats_min: wholeNumber(1, 60).optional(),
    agency_id: Uuid.optional(),
    near: LatLng.optional(),
    landmark: Slug.optional(),
    radius_km: RadiusKm.optional(),
    ordering: z
      .enum(ORDERINGS, { message: `must be one of ${ORDERINGS.join(', ')}` })
      .default('price')
      .meta({ description: 'price: daily rate then id (default); -price: the reverse; distance: nearest first (needs near or landmark); rating: best-rated agency first, then price' }),
    ...PageQuery.shape,
  })
  .superRefine((query, ctx) => {
    addDateProblems(ctx, query.start_date, query.end_date);
    if (query.min_price !== undefined && query.max_price !== undefined && query.min_price > query.max_price) {
      ctx.addIssue({ code: 'custom', path: ['min_price'], message: 'must not be more than max_price' });
    }
    const hasPlace = query.near !== undefined || query.landmark !== undefined;
    if (query.near !== undefined && query.landmark !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['landmark'], message: 'cannot be combined with near: send one of them' });
    }
    if (query.radius_km !== undefined && !hasPlace) {
      ctx.addIssue({ code: 'custom', path: ['radius_km'], message: 'needs near or landmark' });
    }
    if (query.ordering === 'distance' && !hasPlace) {
      ctx.addIssue({ code: 'custom', path: ['ordering'], message: 'distance needs near or landmark' });
    }
  });

export const CarQuery = z
  .strictObject({ start_date: CalendarDate.optional(), end_date: CalendarDate.optional() })
  .superRefine((query, ctx) => {
    if (query.start_date !== undefined && query.end_date !== undefined) addDateProblems(ctx, query.start_date, query.end_date);
    else if (query.start_date !== undefined) ctx.addIssue({ code: 'custom', path: ['end_date'], message: 'is required with start_date' });
    else if (query.end_date !== undefined) ctx.addIssue({ code: 'custom', path: ['start_date'], message: 'is required with end_date' });
  });

const Money = z.number().int().meta({ description: 'satang' });
const Images = z.array(z.object({ url: z.string() }));
const Day = z.string().meta({ example: '2027-01-10' });

const SearchResult = z
  .object({
    id: z.uuid(),
    make: z.string(),
    model: z.string(),
    year: z.number().int(),
    car_type: z.enum(CAR_TYPES),
    transmission: z.enum(TRANSMISSIONS),
    seats: z.number().int(),
    fuel_type: z.enum(FUEL_TYPES),
    daily_rate: Money,
    currency: z.literal('thb'),
    days: z.number().int().meta({ description: 'Days billed: both ends included' }),
    total_price: Money.meta({ description: 'What a booking of these days costs now: rate × days + service fee + VAT (the deposit is separate)' }),
    deposit_amount: Money,
    images: Images,
    agency: z.object({ id: z.uuid(), name: z.string(), rating_average: z.number(), review_count: z.number().int() }),
    distance_km: z.number().optional().meta({ description: 'Great-circle distance from near or landmark, km to 0.01 (only when searching around a place)' }),
  })
  .meta({ id: 'SearchResult' });

const CarDetail = SearchResult.omit({ days: true, total_price: true, distance_km: true, agency: true })
  .extend({
    description: z.string(),
    pickup_address: z.string().nullable(),
    lat: z.number().meta({ description: "The car's own position, else its agency's" }),
    lng: z.number(),
    agency: z.object({ id: z.uuid(), name: z.string(), phone: z.string(), address: z.string(), rating_average: z.number(), review_count: z.number().int() }),
    availability: z.object({ start_date: Day, end_date: Day, available: z.boolean() }).optional().meta({ description: 'When start_date and end_date are given' }),
    price: z
      .object({ days: z.number().int(), daily_rate: Money, subtotal: Money, fees: Money, tax: Money, total_price: Money, deposit_amount: Money, currency: z.literal('thb') })
      .optional()
      .meta({ description: 'The price of the given dates, as a booking made now would store it' }),
    unavailable_ranges: z.array(z.object({ start_date: Day, end_date: Day })).meta({ description: 'Days in the next 90 (from today) on which the car is taken, merged' }),
  })
  .meta({ id: 'CarDetail' });

const Landmark = z.object({ slug: z.string(), name: z.string(), lat: z.number(), lng: z.number() }).meta({ id: 'Landmark' });

const AgencyProfile = z
  .object({
    id: z.uuid(),
    name: z.string(),
    phone: z.string(),
    address: z.string(),
    lat: z.number(),
    lng: z.number(),
    rating_average: z.number(),
    review_count: z.number().int(),
    car_count: z.number().int().meta({ description: 'Published cars' }),
  })
  .meta({ id: 'AgencyProfile' });

export const searchRoutes = {
  searchCars: defineRoute({
    method: 'GET',
    path: '/cars/',
    handler: 'api/cars/search-cars',
    cacheSeconds: 30,
    access: 'public',
    database: 'read',
    summary: 'Search cars free on the given days, optionally around a place',
    tags: ['Search'],
    query: SearchQuery,
    responses: { 200: { description: 'A page of available cars with the price of the stay', schema: pageOf(SearchResult, 'SearchResultPage') } },
  }),
  getCar: defineRoute({
    method: 'GET',
    path: '/cars/{id}/',
    handler: 'api/cars/get-car',
    cacheSeconds: 30,
    access: 'public',
    database: 'read',
    summary: 'A published car, its availability on the given days and the days it is taken',
    tags: ['Search'],
    params: IdParams,
    query: CarQuery,
    responses: {
      200: { description: 'The car', schema: CarDetail },
      404: { description: 'No published car has this id' },
    },
  }),
  listLandmarks: defineRoute({
    method: 'GET',
    path: '/landmarks/',
    handler: 'api/cars/list-landmarks',
    cacheSeconds: 3600,
    access: 'public',
    database: 'read',
    summary: 'Phuket landmarks a search can be centred on (landmark=<slug>)',
    tags: ['Search'],
    query: z.strictObject(PageQuery.shape),
    responses: { 200: { description: 'Landmarks in slug order', schema: pageOf(Landmark, 'LandmarkPage') } },
  }),
  getAgency: defineRoute({
    method: 'GET',
    path: '/agencies/{id}/',
    handler: 'api/cars/get-agency',
    cacheSeconds: 30,
    access: 'public',
    database: 'read',
    summary: "An agency's public profile",
    tags: ['Search'],
    params: IdParams,
    responses: {
      200: { description: 'The agency', schema: AgencyProfile },
      404: { description: 'No agency has this id' },
    },
  }),
};
