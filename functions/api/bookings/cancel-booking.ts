import { cancelCustomerBooking } from '#core/bookings/manage';
import { endpoint } from '#platform/http';
import { paymentProvider } from '#platform/payments';
import { bookingRoutes } from './routes';

export const handler = endpoint(bookingRoutes.cancelBooking, async ({ params, caller, db }, reply) => {
  const { booking, refund } = await cancelCustomerBooking(db, await paymentProvider(), caller.userId, params.id);
  return reply(200, { ...booking, refund });
});
