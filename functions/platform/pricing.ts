import * as z from 'zod';
import { DEFAULT_PRICING_RATES, type PricingRates } from '#core/pricing/pricing';
import { defineConfig } from './config';

const BasisPoints = z.coerce.number().int().min(0).max(10_000);

/**
 * The marketplace's charges, from the environment (basis points: 500 = 5 %), checked at cold
 * start. Unset, they are the defaults of core/pricing: 5 % service fee, 7 % VAT.
 */
const pricingConfig = defineConfig(
  'pricing',
  z.object({
    PRICING_SERVICE_FEE_BPS: BasisPoints.default(DEFAULT_PRICING_RATES.serviceFeeBps),
    PRICING_VAT_BPS: BasisPoints.default(DEFAULT_PRICING_RATES.vatBps),
  }),
);

export function pricingRates(): PricingRates {
  const config = pricingConfig();
  return { serviceFeeBps: config.PRICING_SERVICE_FEE_BPS, vatBps: config.PRICING_VAT_BPS };
}
