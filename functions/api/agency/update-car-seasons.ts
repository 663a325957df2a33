import { replaceSeasons } from '#core/rules/seasons';
import { endpoint } from '#platform/http';
import { agencyRoutes } from './routes';

export const handler = endpoint(agencyRoutes.updateCarSeasons, async ({ caller, params, body, db }, reply) =>
  reply(200, await replaceSeasons(db, caller.agencyId, params.id, body.seasons)),
);
