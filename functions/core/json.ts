import * as z from 'zod';

/**
 * Building blocks of the JSON this API answers with. Each area's answer schemas (in
 * core/<area>/shape.ts) are made of these; the route table documents them, handlers' answers
 * are type-checked against them, and core's JSON types are inferred from them, so a shape is
 * written once.
 */

/** An amount of money in satang (THB minor units): 150000 is THB 1,500.00. */
export const Satang = z.number().int().meta({ description: 'Satang (THB minor units)' });

/** A whole day in Asia/Bangkok; rental ranges include both ends. */
export const Day = z.iso.date();

/** An instant, as toISOString() writes it (UTC). */
export const Instant = z.iso.datetime();

export const Currency = z.literal('thb');
