import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../database';
import { ValidationError, type FieldProblem } from '../errors';
import { findLandmark } from '../geo/landmarks';
import type { DeliveryOptionsBody, DeliveryOptionsJson, OpeningHoursBody, OpeningHoursJson } from './shape';

/**
 * The terms an agency sets for all its cars: its weekly opening hours with the fee for a
 * hand-over outside them, and the landmarks it delivers to with a fee each. Each PUT replaces
 * the whole set in one transaction with the agency's row locked, so two at once apply one
 * after the other. Every change moves the agency's terms_version (triggers of migration 0015):
 * a booking priced before is refused and priced again.
 */

/** The agency's row, locked until the transaction ends: one replacement at a time. */
async function lockAgency(trx: Kysely<Database>, agencyId: string): Promise<void> {
  await trx.selectFrom('agencies').select('id').where('id', '=', agencyId).forUpdate().executeTakeFirstOrThrow();
}

/**
 * The agency's opening hours by weekday, for any query over `agencies AS <agency>`: the column
 * the terms triggers keep (migration 0015), which rental terms read too; the agency API and
 * the public profile show them alike.
 */
export function openingHoursJson(agency: string): RawBuilder<OpeningHoursJson['hours']> {
  return sql<OpeningHoursJson['hours']>`${sql.ref(`${agency}.opening_hours_json`)}`;
}

/** The agency's delivery options by landmark slug, as openingHoursJson() reads the hours. */
export function deliveryOptionsJson(agency: string): RawBuilder<DeliveryOptionsJson['options']> {
  return sql<DeliveryOptionsJson['options']>`${sql.ref(`${agency}.delivery_json`)}`;
}

export async function getOpeningHours(db: Kysely<Database>, agencyId: string): Promise<OpeningHoursJson> {
  return db
    .selectFrom('agencies as a')
    .select([openingHoursJson('a').as('hours'), 'a.after_hours_fee'])
    .where('a.id', '=', agencyId)
    .executeTakeFirstOrThrow();
}

export async function replaceOpeningHours(db: Kysely<Database>, agencyId: string, body: OpeningHoursBody): Promise<OpeningHoursJson> {
  return db.transaction().execute(async (trx) => {
    await lockAgency(trx, agencyId);
    await trx.updateTable('agencies').set({ after_hours_fee: body.after_hours_fee }).where('id', '=', agencyId).execute();
    await trx.deleteFrom('agency_opening_hours').where('agency_id', '=', agencyId).execute();
    if (body.hours.length > 0) {
      await trx
        .insertInto('agency_opening_hours')
        .values(body.hours.map((row) => ({ agency_id: agencyId, ...row })))
        .execute();
    }
    return getOpeningHours(trx, agencyId);
  });
}

export async function getDeliveryOptions(db: Kysely<Database>, agencyId: string): Promise<DeliveryOptionsJson> {
  return db.selectFrom('agencies as a').select(deliveryOptionsJson('a').as('options')).where('a.id', '=', agencyId).executeTakeFirstOrThrow();
}

/** 400 naming each option whose landmark does not exist (the foreign key is the backstop). */
export async function replaceDeliveryOptions(db: Kysely<Database>, agencyId: string, body: DeliveryOptionsBody): Promise<DeliveryOptionsJson> {
  return db.transaction().execute(async (trx) => {
    // The landmark list each process caches (core/geo/landmarks.ts), as booking checks its places.
    const unknown: FieldProblem[] = [];
    for (const [index, option] of body.options.entries()) {
      if (!(await findLandmark(trx, option.landmark))) {
        unknown.push({ path: `options.${index}.landmark`, message: 'is not a known landmark: see GET /api/v1/landmarks/' });
      }
    }
    if (unknown.length > 0) throw new ValidationError('The request body failed validation.', { errors: unknown });
    await lockAgency(trx, agencyId);
    await trx.deleteFrom('agency_delivery_options').where('agency_id', '=', agencyId).execute();
    if (body.options.length > 0) {
      await trx
        .insertInto('agency_delivery_options')
        .values(body.options.map((option) => ({ agency_id: agencyId, landmark_slug: option.landmark, fee: option.fee })))
        .execute();
    }
    return getDeliveryOptions(trx, agencyId);
  });
}
