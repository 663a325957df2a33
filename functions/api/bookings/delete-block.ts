import { cancelBlock } from '#core/bookings/manage';
import { endpoint, noContent } from '#platform/http';
import { bookingRoutes } from './routes';

export const handler = endpoint(bookingRoutes.deleteBlock, async ({ params, caller, db }) => {
  await cancelBlock(db, caller.agencyId!, params.id, params.block_id);
  return noContent();
});
