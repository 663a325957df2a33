import * as z from 'zod';

/**
 * Building blocks of the JSON this API answers with and reads. Each area's schemas (in
 * core/<area>/shape.ts and the routes) are made of these; the route table documents them,
 * handlers' answers are type-checked against them, and core's JSON types are inferred from them,
 * so a shape is written once.
 */

/** An amount of money in satang (THB minor units): 150000 is THB 1,500.00. */
export const Satang = z.number().int().meta({ description: 'Satang (THB minor units)' });

/** The most a rate, deposit or fee may be set to: THB 100,000.00. */
export const MAX_SATANG = 10_000_000;

/** An amount of money a request sets, in satang; each field adds its bounds. */
export const SatangAmount = z.number().int('must be an integer amount of satang');

/** A time of day to the minute, 'HH:MM' from 00:00 to 23:59, as a pattern to build others from (ClockTime adds 24:00). */
export const TIME_OF_DAY = '([01]\\d|2[0-3]):[0-5]\\d';

/** When a car is picked up or returned: a time of day in Asia/Bangkok, to the minute. */
export const HandOverTime = z
  .string()
  .regex(new RegExp(`^${TIME_OF_DAY}$`), 'must be a time as HH:MM, 00:00 to 23:59')
  .meta({ description: 'A hand-over time, HH:MM (00:00–23:59) in Asia/Bangkok', example: '10:00' });

/** A whole day in Asia/Bangkok; rental ranges include both ends. */
export const Day = z.iso.date();

/** An instant, as toISOString() writes it (UTC). */
export const Instant = z.iso.datetime();

export const Currency = z.literal('thb');
