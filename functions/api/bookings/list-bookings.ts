import { listCustomerBookings } from '#core/bookings/manage';
import { bookingJson } from '#core/bookings/shape';
import { getDb } from '#platform/db';
import { endpoint, json } from '#platform/http';
import { decodeCursor, pageFrom } from '#platform/pagination';
import { bookingRoutes } from './routes';

export const handler = endpoint(bookingRoutes.listBookings, async ({ query, caller }) => {
  const after = decodeCursor(query.cursor, ['string', 'string']) as [string, string] | undefined;
  const rows = await listCustomerBookings(getDb(), caller.userId, { status: query.status, limit: query.limit, after });
  return json(200, pageFrom(rows, query.limit, (row) => bookingJson(row), (row) => [row.created_at.toISOString(), row.id]));
});
