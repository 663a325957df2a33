import { listBlocks } from '#core/bookings/manage';
import { getDb } from '#platform/db';
import { endpoint, json } from '#platform/http';
import { decodeCursor, pageFrom } from '#platform/pagination';
import { bookingRoutes } from './routes';

export const handler = endpoint(bookingRoutes.listBlocks, async ({ params, query, caller }) => {
  const after = decodeCursor(query.cursor, ['string', 'string']) as [string, string] | undefined;
  const blocks = await listBlocks(getDb(), caller.agencyId!, params.id, { limit: query.limit, after });
  return json(200, pageFrom(blocks, query.limit, (block) => block, (block) => [block.start_date, block.id]));
});
