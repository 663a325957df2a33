import { cancelBlock } from '#core/bookings/manage';
import { endpoint } from '#platform/http';
import { bookingRoutes } from './routes';

export const handler = endpoint(bookingRoutes.deleteBlock, async ({ params, caller, db }, reply) => {
  await cancelBlock(db, caller.agencyId, params.id, params.block_id);
  return reply(204);
});
