import { listCustomerBookings } from '#core/bookings/manage';
import { bookingJson } from '#core/bookings/shape';
import { endpoint, json } from '#platform/http';
import { decodeCursor, pageFrom } from '#platform/pagination';
import { bookingRoutes } from './routes';

export const handler = endpoint(bookingRoutes.listBookings, async ({ query, caller, db }) => {
  const after = decodeCursor(query.cursor, ['timestamp', 'uuid']);
  const rows = await listCustomerBookings(db, caller.userId, { status: query.status, limit: query.limit, after });
  return json(200, pageFrom(rows, query.limit, (row) => bookingJson(row), (row) => [row.position, row.id]));
});
