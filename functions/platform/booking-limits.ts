import * as z from 'zod';
import { DEFAULT_HOLD_LIMITS, type HoldLimits } from '#core/bookings/limits';
import { defineConfig } from './config';

/** A customer's booking limits (core/bookings/limits.ts), from the environment, checked at cold start. */
const limitsConfig = defineConfig(
  'booking limits',
  z.object({
    BOOKING_MAX_UNPAID_HOLDS: z.coerce.number().int().min(1).max(100).default(DEFAULT_HOLD_LIMITS.maxUnpaidHolds),
    BOOKING_MAX_PER_HOUR: z.coerce.number().int().min(1).max(1000).default(DEFAULT_HOLD_LIMITS.maxBookingsPerHour),
  }),
);

export function holdLimits(): HoldLimits {
  const config = limitsConfig();
  return { maxUnpaidHolds: config.BOOKING_MAX_UNPAID_HOLDS, maxBookingsPerHour: config.BOOKING_MAX_PER_HOUR };
}
