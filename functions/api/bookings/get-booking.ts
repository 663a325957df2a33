import { getCustomerBooking } from '#core/bookings/manage';
import { bookingJson } from '#core/bookings/shape';
import { getDb } from '#platform/db';
import { endpoint, json } from '#platform/http';
import { bookingRoutes } from './routes';

export const handler = endpoint(bookingRoutes.getBooking, async ({ params, caller }) =>
  json(200, bookingJson(await getCustomerBooking(getDb(), caller.userId, params.id))),
);
