import { todayInBangkok } from '#core/availability/dates';
import { getPublicCar } from '#core/search/car-detail';
import { endpoint } from '#platform/http';
import { hasPublicImages, publicImageUrl } from '#platform/image-urls';
import { pricingRates } from '#platform/pricing';
import { searchRoutes } from './routes';

export const handler = endpoint(searchRoutes.getCar, async ({ params, query, db }, reply) => {
  const dates = query.start_date && query.end_date ? { startDate: query.start_date, endDate: query.end_date } : undefined;
  const car = await getPublicCar(db, params.id, {
    dates,
    today: todayInBangkok(),
    rates: pricingRates(),
    imageUrl: hasPublicImages() ? publicImageUrl : undefined,
  });
  return reply(200, car);
});
