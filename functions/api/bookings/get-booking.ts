import { getCustomerBooking } from '#core/bookings/manage';
import { bookingJson } from '#core/bookings/shape';
import { endpoint } from '#platform/http';
import { bookingRoutes } from './routes';

export const handler = endpoint(bookingRoutes.getBooking, async ({ params, caller, db }, reply) =>
  reply(200, bookingJson(await getCustomerBooking(db, caller.userId, params.id))),
);
