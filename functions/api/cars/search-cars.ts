import { resolvePlace } from '#core/geo/landmarks';
import { searchCars } from '#core/search/search-cars';
import { endpoint } from '#platform/http';
import { hasPublicImages, publicImageUrl } from '#platform/image-urls';
import { pricingRates } from '#platform/pricing';
import { searchRoutes } from './routes';

export const handler = endpoint(searchRoutes.searchCars, async ({ query, db }, reply) => {
  const place = await resolvePlace(db, { near: query.near, landmark: query.landmark, radiusKm: query.radius_km });
  const page = await searchCars(
    db,
    {
      startDate: query.start_date,
      endDate: query.end_date,
      pickupTime: query.pickup_time,
      returnTime: query.return_time,
      carType: query.car_type,
      transmission: query.transmission,
      minPrice: query.min_price,
      maxPrice: query.max_price,
      seatsMin: query.seats_min,
      agencyId: query.agency_id,
      place,
      deliveryLandmark: query.landmark,
      ordering: query.ordering,
      limit: query.limit,
      cursor: query.cursor,
    },
    { rates: pricingRates(), imageUrl: hasPublicImages() ? publicImageUrl : undefined },
  );
  return reply(200, page);
});
