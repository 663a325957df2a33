import { listAgencyBookings } from '#core/bookings/manage';
import { bookingJson } from '#core/bookings/shape';
import { endpoint, json } from '#platform/http';
import { decodeCursor, pageFrom } from '#platform/pagination';
import { bookingRoutes } from './routes';

export const handler = endpoint(bookingRoutes.agencyListBookings, async ({ query, caller, db }) => {
  const after = decodeCursor(query.cursor, ['date', 'uuid']);
  const rows = await listAgencyBookings(db, caller.agencyId!, {
    status: query.status,
    carId: query.car_id,
    from: query.from,
    to: query.to,
    limit: query.limit,
    after,
  });
  return json(
    200,
    pageFrom(
      rows,
      query.limit,
      (row) => ({ ...bookingJson(row), customer: { full_name: row.customer_name, email: row.customer_email } }),
      (row) => [row.start_date, row.id],
    ),
  );
});
