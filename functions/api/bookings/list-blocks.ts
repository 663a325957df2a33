import { listBlocks } from '#core/bookings/manage';
import { endpoint, json } from '#platform/http';
import { decodeCursor, pageFrom } from '#platform/pagination';
import { bookingRoutes } from './routes';

export const handler = endpoint(bookingRoutes.listBlocks, async ({ params, query, caller, db }) => {
  const after = decodeCursor(query.cursor, ['date', 'uuid']);
  const blocks = await listBlocks(db, caller.agencyId!, params.id, { limit: query.limit, after });
  return json(200, pageFrom(blocks, query.limit, (block) => block, (block) => [block.start_date, block.id]));
});
