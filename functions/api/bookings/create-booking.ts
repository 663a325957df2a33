import { createBooking } from '#core/bookings/create';
import { ValidationError } from '#core/errors';
import { holdLimits } from '#platform/booking-limits';
import { endpoint, json } from '#platform/http';
import { paymentProvider } from '#platform/payments';
import { pricingRates } from '#platform/pricing';
import { bookingRoutes } from './routes';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

export const handler = endpoint(bookingRoutes.createBooking, async ({ body, headers, caller, db }) => {
  const key = headers['idempotency-key'];
  if (!key || !IDEMPOTENCY_KEY.test(key)) {
    throw new ValidationError('Send an Idempotency-Key header (1–255 visible ASCII characters), e.g. a UUID.', {
      errors: [{ path: 'Idempotency-Key', message: key ? 'must be 1–255 visible ASCII characters' : 'is required' }],
    });
  }
  const { booking, replayed } = await createBooking(
    db,
    { customerId: caller.userId, customerEmail: caller.email, idempotencyKey: key, carId: body.car_id, startDate: body.start_date, endDate: body.end_date },
    { payments: await paymentProvider(), rates: pricingRates(), limits: holdLimits() },
  );
  return json(201, booking, { location: `/api/v1/bookings/${booking.id}/`, ...(replayed ? { 'idempotent-replayed': 'true' } : {}) });
});
