import { changeBookingStatus } from '#core/bookings/manage';
import { getDb } from '#platform/db';
import { endpoint, json } from '#platform/http';
import { paymentProvider } from '#platform/payments';
import { bookingRoutes } from './routes';

export const handler = endpoint(bookingRoutes.agencyUpdateBooking, async ({ params, body, caller }) =>
  json(200, await changeBookingStatus(getDb(), await paymentProvider(), caller.agencyId!, params.id, body.status)),
);
