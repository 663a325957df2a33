import { createBlock } from '#core/bookings/manage';
import { endpoint } from '#platform/http';
import { paymentProvider } from '#platform/payments';
import { bookingRoutes } from './routes';

export const handler = endpoint(bookingRoutes.createBlock, async ({ params, body, caller, db }, reply) =>
  reply(
    201,
    await createBlock(db, await paymentProvider(), caller.agencyId, params.id, {
      startDate: body.start_date,
      endDate: body.end_date,
      reason: body.reason,
    }),
  ),
);
