import * as z from 'zod';
import { rentalDays } from '../availability/dates';
import { Day, MAX_SATANG, Satang, SatangAmount, TIME_OF_DAY } from '../json';

/**
 * The agency's side of the rental rules in the API (issue 17): a car's seasons, rate plans over
 * several cars, the agency's opening hours with its after-hours fee, and where it delivers. What an
 * agency sends (validated by the route before core sees it) and what it gets back. A car's own
 * rules (length discounts, minimum days, notice, lead time, turnaround) are fields of the car
 * (core/cars/shape.ts).
 */

/** Seasons (and one-off peaks) one car may have. */
export const MAX_SEASONS_PER_CAR = 50;
/** Cars one rate plan may be applied to at once. */
export const MAX_RATE_PLAN_CARS = 100;
/** A rate plan's rate as a percentage of each car's base rate: 10 % to 500 %. */
export const RATE_PLAN_PERCENT = { min: 10, max: 500 } as const;

const DailyRate = SatangAmount.min(1).max(MAX_SATANG).meta({ description: 'Satang per day, instead of the base rate, on every day of the season' });
const SeasonName = z.string().trim().min(1).max(200);
const SeasonMinimum = z
  .number()
  .int()
  .min(1)
  .max(90)
  .nullable()
  .meta({ description: 'The minimum rental for rentals starting in this season, when stricter than the car’s; null or absent: the car’s' });

/** 'HH:MM' as PostgreSQL's time reads it; both clock ends of a day are allowed (00:00, and 24:00 to close at midnight). */
const ClockTime = z.string().regex(new RegExp(`^(${TIME_OF_DAY}|24:00)$`), 'must be a time as HH:MM, 00:00 to 24:00');

/** An issue on each item of `list` whose key an earlier item has, naming the first (`repeats hours.0: one row per weekday`). */
function refuseRepeats<Item>(
  ctx: z.RefinementCtx,
  items: readonly Item[],
  how: { list: string; field?: string; keyOf: (item: Item) => unknown; rule?: string },
): void {
  const seen = new Map<unknown, number>();
  items.forEach((item, index) => {
    const key = how.keyOf(item);
    const first = seen.get(key);
    if (first === undefined) seen.set(key, index);
    else {
      const path = how.field === undefined ? [how.list, index] : [how.list, index, how.field];
      ctx.addIssue({ code: 'custom', path, message: `repeats ${how.list}.${first}${how.rule ? `: ${how.rule}` : ''}` });
    }
  });
}

/** One season of a car as an agency sends it. */
const SeasonInput = z.strictObject({
  name: SeasonName.meta({ description: 'What travellers see beside the rate: “High season”, “New Year”' }),
  start_date: Day.meta({ description: 'First day at this rate' }),
  end_date: Day.meta({ description: 'Last day at this rate (included)' }),
  daily_rate: DailyRate,
  min_rental_days: SeasonMinimum.optional(),
});
export type SeasonInput = z.output<typeof SeasonInput>;

/** end ≥ start, or a 400 at `path`.end_date. */
function datesOrdered(season: { start_date: string; end_date: string }, ctx: z.RefinementCtx, path: (string | number)[] = []): void {
  if (season.end_date < season.start_date) {
    ctx.addIssue({ code: 'custom', path: [...path, 'end_date'], message: `must not be before start_date (${season.start_date})` });
  }
}

/** The car's seasons, replacing all it had: one rate a day, so no two may share a day. */
export const ReplaceSeasonsBody = z
  .strictObject({
    seasons: z
      .array(SeasonInput)
      .max(MAX_SEASONS_PER_CAR)
      .meta({ description: `Every season of the car, at most ${MAX_SEASONS_PER_CAR}; an empty list removes them all (the base rate every day)` }),
  })
  .superRefine((body, ctx) => {
    body.seasons.forEach((season, index) => datesOrdered(season, ctx, ['seasons', index]));
    // Pairs in start order: a season overlaps an earlier one exactly when it starts on or before that one's end.
    const ordered = body.seasons.map((season, index) => ({ season, index })).sort((a, b) => (a.season.start_date < b.season.start_date ? -1 : 1));
    for (const [position, { season, index }] of ordered.entries()) {
      for (const { season: earlier, index: earlierIndex } of ordered.slice(0, position)) {
        if (earlier.end_date >= season.start_date && season.end_date >= season.start_date) {
          ctx.addIssue({
            code: 'custom',
            path: ['seasons', index, 'start_date'],
            message: `overlaps seasons.${earlierIndex} (${earlier.name}, ${earlier.start_date} to ${earlier.end_date}): a day has one rate, so split a season around a peak`,
          });
        }
      }
    }
  })
  .meta({ id: 'CarSeasonsReplace' });
export type ReplaceSeasonsBody = z.output<typeof ReplaceSeasonsBody>;

/** One season, applied to several of the agency's cars at once; its rate fixed or a percentage of each car's base rate. */
export const RatePlanBody = z
  .strictObject({
    car_ids: z
      .array(z.uuid({ message: 'must be a UUID' }))
      .min(1)
      .max(MAX_RATE_PLAN_CARS)
      .meta({ description: `Your cars to add the season to, 1 to ${MAX_RATE_PLAN_CARS}` }),
    name: SeasonName,
    start_date: Day,
    end_date: Day,
    daily_rate: DailyRate.optional().meta({ description: 'The same daily rate for every car (send this or percent_of_base_rate)' }),
    percent_of_base_rate: z
      .number()
      .int()
      .min(RATE_PLAN_PERCENT.min)
      .max(RATE_PLAN_PERCENT.max)
      .optional()
      .meta({ description: 'Each car’s rate as a percentage of its base rate, rounded half-up to a satang: 140 is the base rate × 1.4' }),
    min_rental_days: SeasonMinimum.optional(),
  })
  .superRefine((body, ctx) => {
    datesOrdered(body, ctx);
    if ((body.daily_rate === undefined) === (body.percent_of_base_rate === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['daily_rate'], message: 'send exactly one of daily_rate and percent_of_base_rate' });
    }
    refuseRepeats(ctx, body.car_ids, { list: 'car_ids', keyOf: (id) => id });
  })
  .meta({ id: 'RatePlanCreate' });
export type RatePlanBody = z.output<typeof RatePlanBody>;

/** A season of a car as the API answers it. */
export const SeasonJson = z
  .object({
    id: z.uuid(),
    car_id: z.uuid(),
    name: z.string(),
    start_date: Day,
    end_date: Day,
    days: z.number().int().meta({ description: 'Days in the season, both ends included' }),
    daily_rate: Satang,
    min_rental_days: z.number().int().nullable(),
  })
  .meta({ id: 'CarSeason' });
export type SeasonJson = z.infer<typeof SeasonJson>;

export const SeasonListJson = z
  .object({ seasons: z.array(SeasonJson).meta({ description: 'By start date' }) })
  .meta({ id: 'CarSeasonList', description: 'Seasons change the price of bookings made from now on; stored bookings keep their price' });
export type SeasonListJson = z.infer<typeof SeasonListJson>;

/** The season row's fields as the API shows them. */
export function seasonJson(row: {
  id: string;
  car_id: string;
  name: string;
  start_date: string;
  end_date: string;
  daily_rate: number;
  min_rental_days: number | null;
}): SeasonJson {
  return {
    id: row.id,
    car_id: row.car_id,
    name: row.name,
    start_date: row.start_date,
    end_date: row.end_date,
    days: rentalDays(row.start_date, row.end_date),
    daily_rate: row.daily_rate,
    min_rental_days: row.min_rental_days,
  };
}

const OpeningHoursRow = z.strictObject({
  weekday: z.number().int().min(1).max(7).meta({ description: 'ISO weekday: 1 Monday … 7 Sunday' }),
  opens: ClockTime.meta({ description: 'HH:MM, Asia/Bangkok: hand-overs from this time on', example: '08:00' }),
  closes: ClockTime.meta({ description: 'HH:MM, after opens: hand-overs before this time (24:00: until midnight)', example: '20:00' }),
});
export type OpeningHoursRow = z.output<typeof OpeningHoursRow>;

const AfterHoursFee = SatangAmount.min(0)
  .max(MAX_SATANG)
  .nullable()
  .meta({ description: 'Per hand-over (pick-up or return) outside the hours; null: not offered, so such a hand-over is refused' });

/** The agency's weekly hours and its after-hours fee, replacing what it had. */
export const OpeningHoursBody = z
  .strictObject({
    hours: z
      .array(OpeningHoursRow)
      .max(7)
      .meta({ description: 'One row per weekday at most; a weekday without a row is closed; an empty list: no hours set, hand-overs at any time' }),
    after_hours_fee: AfterHoursFee,
  })
  .superRefine((body, ctx) => {
    body.hours.forEach((row, index) => {
      if (row.closes <= row.opens) ctx.addIssue({ code: 'custom', path: ['hours', index, 'closes'], message: `must be after opens (${row.opens})` });
    });
    refuseRepeats(ctx, body.hours, { list: 'hours', field: 'weekday', keyOf: (row) => row.weekday, rule: 'one row per weekday' });
  })
  .meta({ id: 'OpeningHoursReplace' });
export type OpeningHoursBody = z.output<typeof OpeningHoursBody>;

export const OpeningHoursJson = z
  .object({
    hours: z
      .array(z.object({ weekday: OpeningHoursRow.shape.weekday, opens: z.string(), closes: z.string() }))
      .meta({ description: 'By weekday; a weekday not listed is closed; an empty list: hand-overs at any time' }),
    after_hours_fee: Satang.nullable().meta({ description: 'Per hand-over outside the hours; null: not offered (such a hand-over is refused)' }),
  })
  .meta({ id: 'OpeningHours' });
export type OpeningHoursJson = z.infer<typeof OpeningHoursJson>;

const DeliveryOption = z.strictObject({
  landmark: z.string().max(100).meta({ description: 'A landmark slug of GET /landmarks/', example: 'phuket-airport' }),
  fee: SatangAmount.min(0).max(MAX_SATANG).meta({ description: 'Satang per hand-over there (delivery, and collection again); 0: free' }),
});
export type DeliveryOption = z.output<typeof DeliveryOption>;

/** Where the agency delivers cars to and collects them from, replacing what it had. */
export const DeliveryOptionsBody = z
  .strictObject({
    options: z
      .array(DeliveryOption)
      .max(100)
      .meta({ description: 'One per landmark; an empty list: hand-overs at the agency’s own address only (always free)' }),
  })
  .superRefine((body, ctx) => {
    refuseRepeats(ctx, body.options, { list: 'options', field: 'landmark', keyOf: (option) => option.landmark, rule: 'one fee per landmark' });
  })
  .meta({ id: 'DeliveryOptionsReplace' });
export type DeliveryOptionsBody = z.output<typeof DeliveryOptionsBody>;

export const DeliveryOptionsJson = z
  .object({
    options: z
      .array(z.object({ landmark: z.string(), fee: Satang.meta({ description: 'Per hand-over there' }) }))
      .meta({ description: 'By landmark slug; the agency’s own address is always free and not listed' }),
  })
  .meta({ id: 'DeliveryOptions' });
export type DeliveryOptionsJson = z.infer<typeof DeliveryOptionsJson>;
