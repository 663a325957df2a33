import { sql } from 'kysely';
import { ServiceUnavailable } from '#core/errors';
import { endpoint } from '#platform/http';
import { serviceRoutes } from './routes';

/**
 * 200 {status: "ok", database: "ok"} when the database answers. When it cannot be reached, the
 * same 503 problem+json (with Retry-After) any other route answers then, plus `database:
 * "unavailable"` so a monitor reads the cause without parsing the detail.
 */
export const handler = endpoint(serviceRoutes.getHealth, async ({ db }, reply) => {
  try {
    await sql`SELECT 1`.execute(db);
  } catch (error) {
    throw new ServiceUnavailable('The database cannot be reached. Retry after the Retry-After interval.', {
      cause: error,
      extensions: { database: 'unavailable' },
    });
  }
  return reply(200, { status: 'ok', database: 'ok' });
});
