import { sql } from 'kysely';
import { ServiceUnavailable } from '#core/errors';
import { getDb } from '#platform/db';
import { endpoint, json } from '#platform/http';
import { logger } from '#platform/logger';
import { PROBLEM_CONTENT_TYPE, problemType } from '#platform/problem';
import { serviceRoutes } from './routes';

/**
 * 200 {status: "ok", database: "ok"} when the database answers. When it cannot be reached, the
 * same 503 problem+json (with Retry-After) any other route answers then, plus `database:
 * "unavailable"` so a monitor reads the cause without parsing the detail.
 */
export const handler = endpoint(serviceRoutes.getHealth, async () => {
  try {
    await sql`SELECT 1`.execute(getDb());
    return json(200, { status: 'ok', database: 'ok' });
  } catch (error) {
    logger.warn('health check: database unreachable', { error });
    const unavailable = new ServiceUnavailable('The database cannot be reached. Retry after the Retry-After interval.');
    return json(
      unavailable.status,
      {
        type: problemType(unavailable.slug),
        title: unavailable.title,
        status: unavailable.status,
        detail: unavailable.message,
        database: 'unavailable',
      },
      { ...unavailable.headers, 'content-type': PROBLEM_CONTENT_TYPE },
    );
  }
});
