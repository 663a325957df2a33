import * as z from 'zod';
import { MAX_MONTHS_AHEAD, MAX_RENTAL_DAYS, rentalRangeProblems, todayInBangkok } from '#core/availability/dates';
import { CAR_TYPES, TRANSMISSIONS } from '#core/cars/table';
import { DEFAULT_RADIUS_KM, MAX_RADIUS_KM } from '#core/geo/place';
import { HandOverTime } from '#core/json';
import { DEFAULT_HAND_OVER_TIME } from '#core/pricing/terms';
import { ORDERINGS } from '#core/search/search-cars';
import { AgencyProfileJson, LandmarkJson, PublicCarJson, SearchResultJson } from '#core/search/shape';
import { PageQuery } from '#platform/pagination';
import { defineRoute } from '#platform/route';
import { IdParams, IsoDate, pageOf, queryDecimal, queryInteger, Uuid } from '#platform/schemas';

/** Public search, by dates and by place: /cars/, /cars/{id}/, /landmarks/, /agencies/{id}/. */

const CalendarDate = IsoDate.meta({
  description: `A day in Asia/Bangkok, YYYY-MM-DD; ranges are inclusive, at most ${MAX_RENTAL_DAYS} days, starting today or up to ${MAX_MONTHS_AHEAD} months ahead`,
});

const Satang = queryInteger(0, 2_147_483_647).meta({
  description:
    'Price per day of the requested days in satang (each day at its season’s rate, less the length discount, ÷ the days; without delivery and after-hours fees; inclusive bound)',
});

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
  .meta({ description: 'Search around this point: lat,lng in decimal degrees (with radius_km; not with landmark)' });

const RadiusKm = queryDecimal({ moreThan: 0, max: MAX_RADIUS_KM }).meta({
  description: `Radius around near or landmark, km (default ${DEFAULT_RADIUS_KM}, at most ${MAX_RADIUS_KM})`,
});

const Slug = z
  .string()
  .regex(/^[a-z0-9-]{1,60}$/, 'must be a landmark slug from /landmarks/')
  .meta({ description: 'Search around a landmark of GET /landmarks/ (with radius_km; not with near)' });

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
    pickup_time: HandOverTime.optional().meta({
      description: `When the car would be picked up on start_date, HH:MM in Asia/Bangkok (default ${DEFAULT_HAND_OVER_TIME}): the notice and opening-hours rules and the after-hours fee read it`,
    }),
    return_time: HandOverTime.optional().meta({
      description: `When the car would be returned on end_date, HH:MM in Asia/Bangkok (default ${DEFAULT_HAND_OVER_TIME})`,
    }),
    min_price: Satang.optional(),
    max_price: Satang.optional(),
    seats_min: queryInteger(1, 60).optional(),
    agency_id: Uuid.optional(),
    near: LatLng.optional(),
    landmark: Slug.optional(),
    radius_km: RadiusKm.optional(),
    ordering: z
      .enum(ORDERINGS, { message: `must be one of ${ORDERINGS.join(', ')}` })
      .default('price')
      .meta({
        description:
          'price: the price of the requested days (each day at its season’s rate, less the length discount; delivery and after-hours fees are in total_price but not in the order) then id (default); -price: the reverse; distance: nearest first (needs near or landmark); rating: best-rated agency first, then the price of the days',
      }),
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

const HandOverPlace = Slug.meta({ description: 'A landmark slug of GET /landmarks/ the agency delivers to; absent: its own address' });

export const CarQuery = z
  .strictObject({
    start_date: CalendarDate.optional(),
    end_date: CalendarDate.optional(),
    pickup_time: HandOverTime.optional().meta({
      description: `When the car would be picked up on start_date, HH:MM in Asia/Bangkok (default ${DEFAULT_HAND_OVER_TIME})`,
    }),
    return_time: HandOverTime.optional().meta({
      description: `When the car would be returned on end_date, HH:MM in Asia/Bangkok (default ${DEFAULT_HAND_OVER_TIME})`,
    }),
    pickup_landmark: HandOverPlace.optional(),
    return_landmark: HandOverPlace.optional(),
  })
  .superRefine((query, ctx) => {
    if (query.start_date !== undefined && query.end_date !== undefined) addDateProblems(ctx, query.start_date, query.end_date);
    else if (query.start_date !== undefined) ctx.addIssue({ code: 'custom', path: ['end_date'], message: 'is required with start_date' });
    else if (query.end_date !== undefined) ctx.addIssue({ code: 'custom', path: ['start_date'], message: 'is required with end_date' });
    else {
      for (const name of ['pickup_time', 'return_time', 'pickup_landmark', 'return_landmark'] as const) {
        if (query[name] !== undefined) ctx.addIssue({ code: 'custom', path: [name], message: 'needs start_date and end_date' });
      }
    }
  });

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
    responses: { 200: { description: 'A page of available cars with the price of the stay', schema: pageOf(SearchResultJson, 'SearchResultPage') } },
  }),
  getCar: defineRoute({
    method: 'GET',
    path: '/cars/{id}/',
    handler: 'api/cars/get-car',
    cacheSeconds: 30,
    access: 'public',
    database: 'read',
    summary: 'A published car',
    description:
      'With start_date and end_date (and optionally pick-up and return times and places): whether a booking of them would be accepted (free, turnaround buffers included, and within the car’s rental rules; the first rule broken is named) and what they cost, priced as search and booking price them. Always: the car’s rental terms (`rental_terms`) and the days in the next 90 no rental can include (`unavailable_ranges`).',
    tags: ['Search'],
    params: IdParams,
    query: CarQuery,
    responses: {
      200: { description: 'The car', schema: PublicCarJson },
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
    query: PageQuery,
    responses: { 200: { description: 'Landmarks in slug order', schema: pageOf(LandmarkJson, 'LandmarkPage') } },
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
      200: { description: 'The agency', schema: AgencyProfileJson },
      404: { description: 'No agency has this id' },
    },
  }),
};
