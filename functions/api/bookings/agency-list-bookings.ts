import { listAgencyBookings } from '#core/bookings/manage';
import { endpoint } from '#platform/http';
import { bookingRoutes } from './routes';

export const handler = endpoint(bookingRoutes.agencyListBookings, async ({ query, caller, db }, reply) =>
  reply(200, await listAgencyBookings(db, caller.agencyId, { status: query.status, carId: query.car_id, from: query.from, to: query.to }, query)),
);
