import * as z from 'zod';
import { CarSpecJson } from '../cars/shape';
import { Currency, Day, Satang } from '../json';
import { RentalPriceJson } from '../pricing/shape';

/** What the public sees of cars and agencies: the answers of /cars/, /cars/{id}/, /landmarks/ and /agencies/{id}/. */

const Images = z.array(z.object({ url: z.url() })).meta({ description: 'Ready photos, by position' });

const AgencySummary = z.object({
  id: z.uuid(),
  name: z.string(),
  rating_average: z.number().meta({ description: 'Mean review rating, 0 until the first review' }),
  review_count: z.number().int(),
});

/** One car of a search, with what these days would cost. */
export const SearchResultJson = CarSpecJson.extend({
  daily_rate: Satang,
  currency: Currency,
  days: RentalPriceJson.shape.days,
  total_price: Satang.meta({ description: 'What a booking of these days costs now: rate × days + service fee + VAT (the deposit is separate)' }),
  deposit_amount: Satang,
  images: Images,
  agency: AgencySummary,
  distance_km: z.number().optional().meta({ description: 'Great-circle distance from near or landmark, km to 0.01 (only when searching around a place)' }),
}).meta({ id: 'SearchResult' });
export type SearchResultJson = z.infer<typeof SearchResultJson>;

const DayRange = z.object({ start_date: Day, end_date: Day });

/** A published car as the public sees it, with its agency and the days it is taken. */
export const PublicCarJson = SearchResultJson.omit({ days: true, total_price: true, distance_km: true, agency: true })
  .extend({
    description: z.string(),
    pickup_address: z.string().nullable(),
    lat: z.number().meta({ description: "The car's own position, else its agency's" }),
    lng: z.number(),
    agency: AgencySummary.extend({ phone: z.string(), address: z.string() }),
    availability: DayRange.extend({ available: z.boolean() }).optional().meta({ description: 'When start_date and end_date are given' }),
    price: RentalPriceJson.extend({ daily_rate: Satang })
      .optional()
      .meta({ description: 'The price of the given dates, as a booking made now would store it' }),
    unavailable_ranges: z.array(DayRange).meta({ description: 'Days in the next 90 (from today) on which the car is taken, merged; never who or why' }),
  })
  .meta({ id: 'CarDetail' });
export type PublicCarJson = z.infer<typeof PublicCarJson>;

/** A place a search can be centred on. */
export const LandmarkJson = z.object({ slug: z.string(), name: z.string(), lat: z.number(), lng: z.number() }).meta({ id: 'Landmark' });
export type LandmarkJson = z.infer<typeof LandmarkJson>;

/** An agency's public profile. */
export const AgencyProfileJson = AgencySummary.extend({
  phone: z.string(),
  address: z.string(),
  lat: z.number(),
  lng: z.number(),
  car_count: z.number().int().meta({ description: 'Published cars' }),
}).meta({ id: 'AgencyProfile' });
export type AgencyProfileJson = z.infer<typeof AgencyProfileJson>;
