import * as z from 'zod';
import { todayInBangkok } from '../availability/dates';
import { Currency, Instant, MAX_SATANG, Satang, SatangAmount } from '../json';
import { MIN_DEPOSIT_SATANG } from '../payments/provider';
import { MAX_IMAGE_BYTES } from './images';
import { CAR_TYPES, FUEL_TYPES, IMAGE_CONTENT_TYPES, TRANSMISSIONS } from './table';

/**
 * A car and its photos in the API: what an agency sends (CreateCarBody, UpdateCarBody,
 * ImageUploadBody, validated by the route before core sees it) and what it gets back.
 */

/** The length-discount tiers a new car gets unless told otherwise: none, from 7 and from 28 days. */
export const DEFAULT_LENGTH_DISCOUNTS = { weekly: { from_days: 7, percent: 0 }, monthly: { from_days: 28, percent: 0 } } as const;

/** The calendar year in Phuket now; a car can be next year's model at most. */
function latestModelYear(): number {
  return Number(todayInBangkok().slice(0, 4)) + 1;
}

const Name = z.string().trim().min(1).max(200);

const carFields = {
  make: Name,
  model: Name,
  year: z
    .number()
    .int()
    .min(1950)
    .refine((year) => year <= latestModelYear(), { message: 'must not be later than next year' }),
  car_type: z.enum(CAR_TYPES),
  transmission: z.enum(TRANSMISSIONS),
  seats: z.number().int().min(1).max(60),
  fuel_type: z.enum(FUEL_TYPES),
  daily_rate: SatangAmount.min(1).max(MAX_SATANG).meta({ description: 'Satang per day' }),
  // Every booking takes its deposit through a Stripe PaymentIntent, and Stripe charges at least THB 10.
  deposit_amount: SatangAmount.min(MIN_DEPOSIT_SATANG, `must be at least ${MIN_DEPOSIT_SATANG} satang (THB 10), the smallest deposit a card payment can take`)
    .max(MAX_SATANG)
    .meta({ description: `Satang, at least ${MIN_DEPOSIT_SATANG} (THB 10): every booking pays its deposit by card` }),
  description: z.string().max(5000),
  lat: z.number().min(-90).max(90).nullable().meta({ description: "null or absent: the agency's location" }),
  lng: z.number().min(-180).max(180).nullable(),
  pickup_address: z.string().trim().max(500).nullable(),
  is_published: z.boolean(),
  // The car's rental rules (issue 17): the pricing function and the booking rules read them (core/pricing/terms.ts).
  weekly_discount: lengthDiscount({ min: 2, max: 89 }, DEFAULT_LENGTH_DISCOUNTS.weekly),
  monthly_discount: lengthDiscount({ min: 3, max: 90 }, DEFAULT_LENGTH_DISCOUNTS.monthly).meta({
    description: `From its from_days on, which must be more than the weekly tier's, instead of the weekly discount when larger (the largest percent of the tiers reached applies, alone); default ${JSON.stringify(DEFAULT_LENGTH_DISCOUNTS.monthly)}`,
  }),
  min_rental_days: z.number().int().min(1).max(90).meta({ description: 'The fewest days a rental may have (a season may ask for more); default 1' }),
  min_notice_hours: z.number().int().min(0).max(720).meta({ description: 'Hours from booking to pick-up at least; default 0: none' }),
  max_lead_days: z
    .number()
    .int()
    .min(1)
    .max(731)
    .nullable()
    .meta({ description: 'A rental starts at most this many days after today (Bangkok); null (the default): only the platform’s 24 months' }),
  turnaround_days: z.number().int().min(0).max(14).meta({ description: 'Whole days the car is kept free after each rental (cleaning, service); default 0' }),
};

/**
 * A length-discount tier as sent: percent off the days' rates from from_days days on. Either
 * field may be left out (a new car takes the default's, a PATCH keeps the stored one).
 */
function lengthDiscount(fromDays: { min: number; max: number }, fallback: { from_days: number; percent: number }) {
  return z
    .strictObject({
      from_days: z.number().int().min(fromDays.min).max(fromDays.max).optional(),
      percent: z.number().int().min(0).max(90).optional().meta({ description: 'Whole percent off, 0 to 90' }),
    })
    .meta({ description: `Percent off the sum of the days' rates for rentals of from_days days or more; default ${JSON.stringify(fallback)}` });
}

/**
 * The monthly tier starts after the weekly one. Checked here where the body has both thresholds
 * (a new car's missing one is its default); a PATCH sending one is checked against the stored
 * other by the database (cars_discount_tiers_ordered, answered as a 400 by core/cars/inventory.ts).
 */
function discountTiersOrdered(defaults: boolean) {
  return (body: { weekly_discount?: { from_days?: number }; monthly_discount?: { from_days?: number } }, ctx: z.RefinementCtx): void => {
    const weekly = body.weekly_discount?.from_days ?? (defaults ? DEFAULT_LENGTH_DISCOUNTS.weekly.from_days : undefined);
    const monthly = body.monthly_discount?.from_days ?? (defaults ? DEFAULT_LENGTH_DISCOUNTS.monthly.from_days : undefined);
    if (weekly === undefined || monthly === undefined || monthly > weekly) return;
    const path = body.monthly_discount?.from_days !== undefined ? 'monthly_discount' : 'weekly_discount';
    ctx.addIssue({
      code: 'custom',
      path: [path, 'from_days'],
      message: `the monthly tier must start after the weekly one (weekly from ${weekly} days, monthly from ${monthly})`,
    });
  };
}

/** lat and lng are set together: both numbers, both null, or both absent. */
function locationComplete(body: { lat?: number | null; lng?: number | null }, ctx: z.RefinementCtx): void {
  const latGiven = body.lat !== undefined && body.lat !== null;
  const lngGiven = body.lng !== undefined && body.lng !== null;
  if ((body.lat === undefined) !== (body.lng === undefined) || latGiven !== lngGiven) {
    const missing = body.lat === undefined || (body.lat === null && lngGiven) ? 'lat' : 'lng';
    ctx.addIssue({ code: 'custom', path: [missing], message: 'lat and lng go together: send both or neither' });
  }
}

export const CreateCarBody = z
  .strictObject({
    ...carFields,
    description: carFields.description.optional(),
    lat: carFields.lat.optional(),
    lng: carFields.lng.optional(),
    pickup_address: carFields.pickup_address.optional(),
    is_published: carFields.is_published.optional().meta({ description: 'Default false: new cars are unpublished' }),
    weekly_discount: carFields.weekly_discount.optional(),
    monthly_discount: carFields.monthly_discount.optional(),
    min_rental_days: carFields.min_rental_days.optional(),
    min_notice_hours: carFields.min_notice_hours.optional(),
    max_lead_days: carFields.max_lead_days.optional(),
    turnaround_days: carFields.turnaround_days.optional(),
  })
  .superRefine(locationComplete)
  .superRefine(discountTiersOrdered(true))
  .meta({ id: 'CarCreate' });
/** What a new car is made of: the body of POST /agency/cars/, as validated. */
export type CarInput = z.output<typeof CreateCarBody>;

export const UpdateCarBody = z
  .strictObject(carFields)
  .partial()
  // Any subset, the empty one included (a no-op: update-car.ts answers the car as it is).
  .superRefine(locationComplete)
  .superRefine(discountTiersOrdered(false))
  .meta({ id: 'CarUpdate' });
export type CarChanges = z.output<typeof UpdateCarBody>;

export const ImageUploadBody = z
  .strictObject({
    content_type: z
      .string()
      .max(100)
      .meta({ description: `${IMAGE_CONTENT_TYPES.join(', ')} (any other type: 415)` }),
    content_length: z
      .number()
      .int()
      .min(1)
      .meta({ description: `Bytes, at most ${MAX_IMAGE_BYTES} (larger: 413)` }),
  })
  .meta({ id: 'ImageUploadRequest' });

export const CarImageJson = z.object({ id: z.uuid(), url: z.url(), position: z.number().int() }).meta({ id: 'CarImage' });
export type CarImageJson = z.infer<typeof CarImageJson>;

/** What every view of a car says about the vehicle itself. */
export const CarSpecJson = z.object({
  id: z.uuid(),
  make: z.string(),
  model: z.string(),
  year: z.number().int(),
  car_type: z.enum(CAR_TYPES),
  transmission: z.enum(TRANSMISSIONS),
  seats: z.number().int(),
  fuel_type: z.enum(FUEL_TYPES),
});

export const LengthDiscountJson = z
  .object({
    from_days: z.number().int().meta({ description: 'The tier applies to rentals of this many days or more' }),
    percent: z.number().int().meta({ description: 'Percent off the sum of the days’ rates; 0: no discount' }),
  })
  .meta({ id: 'LengthDiscount' });

/** A car as its agency sees it. */
export const AgencyCarJson = CarSpecJson.extend({
  agency_id: z.uuid(),
  daily_rate: Satang.meta({ description: 'Satang per day' }),
  deposit_amount: Satang,
  currency: Currency,
  description: z.string(),
  lat: z.number().nullable(),
  lng: z.number().nullable(),
  pickup_address: z.string().nullable(),
  is_published: z.boolean(),
  weekly_discount: LengthDiscountJson,
  monthly_discount: LengthDiscountJson.meta({
    description: 'From its from_days on, instead of the weekly discount when larger (the largest percent of the tiers reached applies, alone)',
  }),
  min_rental_days: z.number().int().meta({ description: 'The fewest days a rental may have (a season may ask for more)' }),
  min_notice_hours: z.number().int().meta({ description: 'Hours from booking to pick-up at least; 0: none' }),
  max_lead_days: z.number().int().nullable().meta({ description: 'A rental starts at most this many days after today; null: only the platform’s 24 months' }),
  turnaround_days: z.number().int().meta({ description: 'Whole days the car is kept free after each rental' }),
  images: z.array(CarImageJson).meta({ description: 'Ready photos, by position' }),
  created_at: Instant,
  updated_at: Instant,
}).meta({ id: 'AgencyCar' });
export type AgencyCarJson = z.infer<typeof AgencyCarJson>;

/** A pending photo and where to PUT it. */
export const ImageUploadJson = z
  .object({
    id: z.uuid(),
    status: z.literal('pending'),
    upload: z.object({
      method: z.literal('PUT'),
      url: z.url(),
      headers: z.record(z.string(), z.string()).meta({ description: 'Send exactly these headers with the PUT; both are signed' }),
    }),
    expires_at: Instant,
  })
  .meta({ id: 'ImageUpload' });
export type ImageUploadJson = z.infer<typeof ImageUploadJson>;

export const ReadyCarImageJson = CarImageJson.extend({ status: z.literal('ready') }).meta({ id: 'ReadyCarImage' });
