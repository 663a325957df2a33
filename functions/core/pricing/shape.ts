import * as z from 'zod';
import { Currency, Day, Satang } from '../json';

/**
 * The price of a rental as every answer shows it, from priceRental(): a booking stores it, car
 * detail shows it for the requested days. (The rate beside it is named by each answer.)
 */
export const RentalPriceJson = z.object({
  days: z.number().int().meta({ description: 'Days billed: both ends included' }),
  subtotal: Satang.meta({ description: 'The days’ rates less the length discount, plus delivery and after-hours fees (see price_breakdown)' }),
  fees: Satang.meta({ description: 'The platform service fee' }),
  tax: Satang.meta({ description: 'VAT on subtotal and fees' }),
  total_price: Satang.meta({ description: 'subtotal + fees + tax (the deposit is separate)' }),
  deposit_amount: Satang,
  currency: Currency,
});

const HandOverChargeJson = z.object({
  landmark: z.string().nullable().meta({ description: 'The landmark slug the car is delivered to or collected from; null: the agency’s own address' }),
  delivery_fee: Satang,
  after_hours_fee: Satang.meta({ description: 'The agency’s after-hours fee when this hand-over is outside its opening hours, else 0' }),
});

/**
 * How a price's subtotal is made up (priceRental()'s PriceBreakdown): a booking stores it as
 * charged, car detail shows it for the requested days. Enough to reproduce the subtotal:
 * Σ runs (days × daily_rate) − length_discount.amount + both hand-overs' fees.
 */
export const PriceBreakdownJson = z
  .object({
    daily_rates: z
      .array(
        z.object({
          start_date: Day,
          end_date: Day,
          days: z.number().int(),
          daily_rate: Satang,
          season: z.string().nullable().meta({ description: 'The season’s name; null for the car’s base rate' }),
        }),
      )
      .meta({ description: 'Every day of the rental, in runs of one rate, in date order' }),
    rental: Satang.meta({ description: 'The sum of the days’ rates' }),
    length_discount: z.object({
      percent: z.number().int().meta({ description: 'The weekly or monthly discount the rental’s length reached; 0 if none' }),
      amount: Satang,
    }),
    pickup: HandOverChargeJson,
    return: HandOverChargeJson,
  })
  .meta({ id: 'PriceBreakdown' });
