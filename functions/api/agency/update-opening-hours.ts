import { replaceOpeningHours } from '#core/rules/agency-terms';
import { endpoint } from '#platform/http';
import { agencyRoutes } from './routes';

export const handler = endpoint(agencyRoutes.updateOpeningHours, async ({ caller, body, db }, reply) =>
  reply(200, await replaceOpeningHours(db, caller.agencyId, body)),
);
