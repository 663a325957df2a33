import { createBooking } from '#core/bookings/create';
import { holdLimits } from '#platform/booking-limits';
import { endpoint } from '#platform/http';
import { API_PREFIX } from '#platform/route';
import { paymentProvider } from '#platform/payments';
import { pricingRates } from '#platform/pricing';
import { bookingRoutes } from './routes';

export const handler = endpoint(bookingRoutes.createBooking, async ({ body, requestHeaders, caller, db }, reply) => {
  const key = requestHeaders['Idempotency-Key'];
  const { booking, replayed } = await createBooking(
    db,
    {
      customerId: caller.userId,
      customerEmail: caller.email,
      idempotencyKey: key,
      carId: body.car_id,
      startDate: body.start_date,
      endDate: body.end_date,
      pickupTime: body.pickup_time,
      returnTime: body.return_time,
      pickupLandmark: body.pickup_landmark,
      returnLandmark: body.return_landmark,
    },
    { payments: await paymentProvider(), rates: pricingRates(), limits: holdLimits() },
  );
  return reply(201, booking, { location: `${API_PREFIX}/bookings/${booking.id}/`, ...(replayed ? { 'idempotent-replayed': 'true' } : {}) });
});
