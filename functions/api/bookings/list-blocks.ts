import { listBlocks } from '#core/bookings/manage';
import { endpoint } from '#platform/http';
import { bookingRoutes } from './routes';

export const handler = endpoint(bookingRoutes.listBlocks, async ({ params, query, caller, db }, reply) =>
  reply(200, await listBlocks(db, caller.agencyId, params.id, query)),
);
