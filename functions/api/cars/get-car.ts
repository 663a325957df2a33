import { rentalRequestWithDefaults } from '#core/pricing/terms';
import { getPublicCar } from '#core/search/car-detail';
import { endpoint } from '#platform/http';
import { hasPublicImages, publicImageUrl } from '#platform/image-urls';
import { pricingRates } from '#platform/pricing';
import { searchRoutes } from './routes';

export const handler = endpoint(searchRoutes.getCar, async ({ params, query, db }, reply) => {
  const request =
    query.start_date && query.end_date
      ? rentalRequestWithDefaults({
          startDate: query.start_date,
          endDate: query.end_date,
          pickupTime: query.pickup_time,
          returnTime: query.return_time,
          pickupLandmark: query.pickup_landmark,
          returnLandmark: query.return_landmark,
        })
      : undefined;
  const car = await getPublicCar(db, params.id, {
    request,
    now: new Date(),
    rates: pricingRates(),
    imageUrl: hasPublicImages() ? publicImageUrl : undefined,
  });
  return reply(200, car);
});
