import { addRatePlan } from '#core/rules/seasons';
import { endpoint } from '#platform/http';
import { agencyRoutes } from './routes';

export const handler = endpoint(agencyRoutes.createRatePlan, async ({ caller, body, db }, reply) =>
  reply(201, { seasons: await addRatePlan(db, caller.agencyId, body) }),
);
