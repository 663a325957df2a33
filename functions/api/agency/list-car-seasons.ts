import { listSeasons } from '#core/rules/seasons';
import { endpoint } from '#platform/http';
import { agencyRoutes } from './routes';

export const handler = endpoint(agencyRoutes.listCarSeasons, async ({ caller, params, db }, reply) =>
  reply(200, await listSeasons(db, caller.agencyId, params.id)),
);
