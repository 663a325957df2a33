import * as z from 'zod';
import { Currency, Satang } from '../json';

/**
 * The price of a rental as every answer shows it, from priceRental(): a booking stores it, car
 * detail shows it for the requested days. (The rate beside it is named by each answer.)
 */
export const RentalPriceJson = z.object({
  days: z.number().int().meta({ description: 'Days billed: both ends included' }),
  subtotal: Satang.meta({ description: 'Daily rate × days' }),
  fees: Satang.meta({ description: 'The platform service fee' }),
  tax: Satang.meta({ description: 'VAT on subtotal and fees' }),
  total_price: Satang.meta({ description: 'subtotal + fees + tax (the deposit is separate)' }),
  deposit_amount: Satang,
  currency: Currency,
});
