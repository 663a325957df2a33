import * as z from 'zod';
import { CarSpecJson } from '../cars/shape';
import { RENTAL_RULES } from '../errors';
import { Currency, Day, Satang } from '../json';
import { PriceBreakdownJson, RentalPriceJson } from '../pricing/shape';
import { DeliveryOptionsJson, OpeningHoursJson } from '../rules/shape';

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
  total_price: Satang.meta({
    description:
      'What a booking of these days and hand-over times costs now, picked up and returned at the agency: each day at its rate (seasons), less the length discount, plus after-hours fees, + service fee + VAT (the deposit is separate)',
  }),
  price_breakdown: PriceBreakdownJson.meta({ description: 'How the subtotal of total_price is made up' }),
  deposit_amount: Satang,
  images: Images,
  agency: AgencySummary,
  distance_km: z.number().optional().meta({ description: 'Great-circle distance from near or landmark, km to 0.01 (only when searching around a place)' }),
  delivery: z
    .object({
      landmark: z.string().meta({ description: 'The landmark searched around' }),
      fee: Satang.meta({ description: 'The agency’s delivery fee there, per hand-over' }),
      total_price: Satang.meta({ description: 'What a booking costs with the car delivered there and collected from there' }),
    })
    .nullable()
    .optional()
    .meta({ description: 'Only with landmark=: whether the agency delivers to it (null: it does not)' }),
}).meta({ id: 'SearchResult' });
export type SearchResultJson = z.infer<typeof SearchResultJson>;

const DayRange = z.object({ start_date: Day, end_date: Day });

const LengthDiscountJson = z.object({
  from_days: z.number().int().meta({ description: 'The tier applies to rentals of this many days or more' }),
  percent: z.number().int().meta({ description: 'Percent off the sum of the days’ rates; 0: no discount' }),
});

/** The rules a car is rented by and what it costs beyond its base rate, as a traveller sees them before booking. */
export const RentalTermsJson = z
  .object({
    seasons: z
      .array(
        z.object({
          name: z.string(),
          start_date: Day,
          end_date: Day,
          daily_rate: Satang.meta({ description: 'The daily rate of every day of the season (both ends included), instead of the base rate' }),
          min_rental_days: z
            .number()
            .int()
            .nullable()
            .meta({ description: 'The minimum rental for rentals starting in this season, when stricter than the car’s; null: the car’s' }),
        }),
      )
      .meta({ description: 'Seasons and one-off peaks ending today or later, by start date; the days no season covers are at daily_rate' }),
    weekly_discount: LengthDiscountJson,
    monthly_discount: LengthDiscountJson.meta({
      description: 'From its from_days on, instead of the weekly discount when larger (the largest percent of the tiers reached applies, alone)',
    }),
    min_rental_days: z.number().int().meta({ description: 'The fewest days a rental may have' }),
    min_notice_hours: z.number().int().meta({ description: 'Hours between booking and pick-up, at least; 0: none required' }),
    max_lead_days: z.number().int().nullable().meta({ description: 'A rental starts at most this many days after today; null: only the platform’s own limit' }),
    turnaround_days: z.number().int().meta({ description: 'Whole days the car is kept free after each rental (cleaning, service)' }),
    // The agency's terms, in the shapes its own API and public profile show them.
    opening_hours: OpeningHoursJson.shape.hours.meta({
      description: 'When the agency hands cars over (opens ≤ time < closes), by weekday; a weekday not listed is closed; an empty list: any time',
    }),
    after_hours_fee: OpeningHoursJson.shape.after_hours_fee,
    delivery: DeliveryOptionsJson.shape.options.meta({
      description:
        'Where the agency delivers the car to and collects it from (pickup_landmark, return_landmark), by landmark slug; its own address is always free',
    }),
  })
  .meta({ id: 'RentalTerms' });
export type RentalTermsJson = z.infer<typeof RentalTermsJson>;

/** A published car as the public sees it, with its agency and the days it is taken. */
export const PublicCarJson = SearchResultJson.omit({ days: true, total_price: true, distance_km: true, agency: true, delivery: true })
  .extend({
    description: z.string(),
    pickup_address: z.string().nullable(),
    lat: z.number().meta({ description: "The car's own position, else its agency's" }),
    lng: z.number(),
    agency: AgencySummary.extend({ phone: z.string(), address: z.string() }),
    availability: DayRange.extend({
      available: z
        .boolean()
        .meta({ description: 'Free on those days (turnaround buffers included) and allowed by the car’s rental rules: a booking would be accepted' }),
      rule: z
        .object({
          rule: z.enum(RENTAL_RULES).meta({ description: 'The rule, by the name a booking’s 409 rental-rule problem gives it' }),
          detail: z.string().meta({ description: 'What the rule asks for, in a sentence' }),
        })
        .optional()
        .meta({ description: 'The first rental rule the request breaks (as POST /bookings/ would answer it: 409 rental-rule); absent when none' }),
    })
      .optional()
      .meta({ description: 'When start_date and end_date are given' }),
    price: RentalPriceJson.extend({
      daily_rate: Satang.meta({ description: 'The average daily rate before the length discount (the base rate when no season applies)' }),
    })
      .optional()
      .meta({
        description:
          'The price of the given dates, times and places, as a booking made now would store it; absent only when they cannot be priced (delivery to a place the agency does not serve, or a hand-over outside its hours without an after-hours fee)',
      }),
    price_breakdown: PriceBreakdownJson.optional().meta({ description: 'How the price’s subtotal is made up; with price' }),
    rental_terms: RentalTermsJson,
    unavailable_ranges: z.array(DayRange).meta({
      description: 'Days in the next 90 (from today) no rental can include, merged: taken days and the turnaround buffers around them; never who or why',
    }),
  })
  .meta({ id: 'CarDetail' });
export type PublicCarJson = z.infer<typeof PublicCarJson>;

/** A place a search can be centred on. */
export const LandmarkJson = z.object({ slug: z.string(), name: z.string(), lat: z.number(), lng: z.number() }).meta({ id: 'Landmark' });
export type LandmarkJson = z.infer<typeof LandmarkJson>;

/** An agency's public profile, with when and where it hands cars over. */
export const AgencyProfileJson = AgencySummary.extend({
  phone: z.string(),
  address: z.string(),
  lat: z.number(),
  lng: z.number(),
  car_count: z.number().int().meta({ description: 'Published cars' }),
  opening_hours: OpeningHoursJson.shape.hours,
  after_hours_fee: OpeningHoursJson.shape.after_hours_fee,
  delivery: DeliveryOptionsJson.shape.options,
}).meta({ id: 'AgencyProfile' });
export type AgencyProfileJson = z.infer<typeof AgencyProfileJson>;
