import { changeBookingStatus } from '#core/bookings/manage';
import { endpoint } from '#platform/http';
import { paymentProvider } from '#platform/payments';
import { bookingRoutes } from './routes';

export const handler = endpoint(bookingRoutes.agencyUpdateBooking, async ({ params, body, caller, db }, reply) =>
  reply(200, await changeBookingStatus(db, await paymentProvider(), caller.agencyId, params.id, body.status)),
);
