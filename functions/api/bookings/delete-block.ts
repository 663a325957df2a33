import { cancelBlock } from '#core/bookings/manage';
import { getDb } from '#platform/db';
import { endpoint, noContent } from '#platform/http';
import { bookingRoutes } from './routes';

export const handler = endpoint(bookingRoutes.deleteBlock, async ({ params, caller }) => {
  await cancelBlock(getDb(), caller.agencyId!, params.id, params.block_id);
  return noContent();
});
