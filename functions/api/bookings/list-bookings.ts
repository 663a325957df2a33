import { listCustomerBookings } from '#core/bookings/manage';
import { endpoint } from '#platform/http';
import { bookingRoutes } from './routes';

export const handler = endpoint(bookingRoutes.listBookings, async ({ query, caller, db }, reply) =>
  reply(200, await listCustomerBookings(db, caller.userId, { status: query.status }, query)),
);
