import { sql } from 'kysely';
import { getDb } from '#platform/db';
import { endpoint, json } from '#platform/http';
import { logger } from '#platform/logger';
import { serviceRoutes } from './routes';

export const handler = endpoint(serviceRoutes.getHealth, async () => {
  try {
    await sql`SELECT 1`.execute(getDb());
    return json(200, { status: 'ok', database: 'ok' });
  } catch (error) {
    logger.warn('health check: database unreachable', { error });
    return json(503, { status: 'degraded', database: 'unavailable' }, { 'retry-after': '5' });
  }
});
