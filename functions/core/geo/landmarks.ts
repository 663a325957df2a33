import type { Kysely } from 'kysely';
import type { Database } from '../database';
import { ValidationError } from '../errors';
import { DEFAULT_RADIUS_KM, type Place } from './place';
import type { Landmark } from './table';

/** A page of landmarks in slug order, after the given slug. */
export async function listLandmarks(db: Kysely<Database>, page: { limit: number; after?: string }): Promise<Landmark[]> {
  return db
    .selectFrom('landmarks')
    .select(['slug', 'name', 'lat', 'lng'])
    .$if(page.after !== undefined, (query) => query.where('slug', '>', page.after!))
    .orderBy('slug')
    .limit(page.limit)
    .execute();
}

export async function findLandmark(db: Kysely<Database>, slug: string): Promise<Landmark | undefined> {
  return db.selectFrom('landmarks').select(['slug', 'name', 'lat', 'lng']).where('slug', '=', slug).executeTakeFirst();
}

/**
 * The place a search is centred on: a point, or a landmark by slug (an unknown slug is a bad
 * query parameter: 400), with the radius (default 5 km). None when neither is given.
 */
export async function resolvePlace(
  db: Kysely<Database>,
  query: { near?: { lat: number; lng: number }; landmark?: string; radiusKm?: number },
): Promise<Place | undefined> {
  const radiusKm = query.radiusKm ?? DEFAULT_RADIUS_KM;
  if (query.near) return { ...query.near, radiusKm };
  if (query.landmark === undefined) return undefined;
  const landmark = await findLandmark(db, query.landmark);
  if (!landmark) {
    throw new ValidationError(`There is no landmark "${query.landmark}".`, {
      errors: [{ path: 'landmark', message: 'is not a known landmark: see GET /api/v1/landmarks/' }],
    });
  }
  return { lat: landmark.lat, lng: landmark.lng, radiusKm };
}
