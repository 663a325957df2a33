import { DEFAULT_HAND_OVER_TIME } from '#core/pricing/terms';
import { getPublicCar } from '#core/search/car-detail';
import { endpoint } from '#platform/http';
import { hasPublicImages, publicImageUrl } from '#platform/image-urls';
import { pricingRates } from '#platform/pricing';
import { searchRoutes } from './routes';

export const handler = endpoint(searchRoutes.getCar, async ({ params, query, db }, reply) => {
  const request =
    query.start_date && query.end_date
      ? {
          startDate: query.start_date,
          endDate: query.end_date,
          pickupTime: query.pickup_time ?? DEFAULT_HAND_OVER_TIME,
          returnTime: query.return_time ?? DEFAULT_HAND_OVER_TIME,
          pickupLandmark: query.pickup_landmark ?? null,
          returnLandmark: query.return_landmark ?? null,
        }
      : undefined;
  const car = await getPublicCar(db, params.id, {
    request,
    now: new Date(),
    rates: pricingRates(),
    imageUrl: hasPublicImages() ? publicImageUrl : undefined,
  });
  return reply(200, car);
});
