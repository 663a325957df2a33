import { extendPriceHorizon } from '#core/search/price-horizon';
import { getDb } from '#platform/db';
import { logger } from '#platform/logger';

/**
 * Daily (EventBridge in AWS, an interval in the local server): search's price rows of every car
 * reach as far ahead as a search can ask (core/search/price-horizon.ts).
 */
export async function handler(): Promise<{ rewritten: number }> {
  const rewritten = await extendPriceHorizon(getDb('write'));
  if (rewritten > 0) logger.info('extended the price rows of cars', { rewritten });
  return { rewritten };
}
