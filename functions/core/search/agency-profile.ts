import { sql, type Kysely } from 'kysely';
import type { Database } from '../database';
import { NotFound } from '../errors';
import { deliveryOptionsJson, openingHoursJson } from '../rules/agency-terms';
import type { AgencyProfileJson } from './shape';

/** An agency's public profile, with the hours and places it hands cars over at; 404 when there is none with this id. */
export async function getAgencyProfile(db: Kysely<Database>, agencyId: string): Promise<AgencyProfileJson> {
  const agency = await db
    .selectFrom('agencies as a')
    .select([
      'a.id',
      'a.name',
      'a.phone',
      'a.address',
      'a.lat',
      'a.lng',
      'a.rating_average',
      'a.review_count',
      sql<number>`(
        SELECT count(*) FROM cars AS c
        WHERE c.agency_id = a.id AND c.is_published AND c.deleted_at IS NULL)`.as('car_count'),
      openingHoursJson('a').as('opening_hours'),
      'a.after_hours_fee',
      deliveryOptionsJson('a').as('delivery'),
    ])
    .where('a.id', '=', agencyId)
    .executeTakeFirst();
  if (!agency) throw new NotFound('No agency has this id.');
  return agency;
}
