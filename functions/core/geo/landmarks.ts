import { sql, type Kysely } from 'kysely';
import type { Database } from '../database';
import { ValidationError, type FieldProblem } from '../errors';
import { keysetPage, pageFrom, pagePosition, type Page, type PageRequest, type SortKey } from '../pagination';
import { DEFAULT_RADIUS_KM, type Place } from './place';
import type { Landmark } from './table';

/** Landmarks are listed by slug, which is unique. */
const BY_SLUG: SortKey[] = [{ expression: sql.ref('landmarks.slug'), direction: 'asc', type: 'text' }];

/** A page of landmarks in slug order. */
export async function listLandmarks(db: Kysely<Database>, page: PageRequest): Promise<Page<Landmark>> {
  const position = pagePosition(BY_SLUG, page);
  const rows = await keysetPage(db.selectFrom('landmarks').select(['slug', 'name', 'lat', 'lng']), position).execute();
  return pageFrom(rows, position, (landmark) => landmark);
}

export async function findLandmark(db: Kysely<Database>, slug: string): Promise<Landmark | undefined> {
  return (await landmarksBySlug(db)).get(slug);
}

/**
 * A rental's pick-up and return places that name no landmark, as the 400's field problems
 * (booking and car detail both take them; null or absent: the agency's own address).
 */
export async function unknownHandOverPlaces(
  db: Kysely<Database>,
  places: { pickupLandmark?: string | null | undefined; returnLandmark?: string | null | undefined },
): Promise<FieldProblem[]> {
  const problems: FieldProblem[] = [];
  for (const [path, slug] of [
    ['pickup_landmark', places.pickupLandmark],
    ['return_landmark', places.returnLandmark],
  ] as const) {
    if (slug != null && !(await findLandmark(db, slug))) problems.push({ path, message: 'is not a known landmark: see GET /api/v1/landmarks/' });
  }
  return problems;
}

/** How long a process keeps the landmarks it read. */
export const LANDMARKS_CACHE_SECONDS = 300;
const landmarkCache = new WeakMap<Kysely<Database>, { until: number; bySlug: Promise<Map<string, Landmark>> }>();

/**
 * Every landmark, read once per process and database and kept LANDMARKS_CACHE_SECONDS: they are
 * a few dozen rows of reference data that only a migration changes, and every landmark search
 * needs one, so a search near a landmark is one round trip instead of two (docs/search.md).
 */
async function landmarksBySlug(db: Kysely<Database>): Promise<Map<string, Landmark>> {
  const cached = landmarkCache.get(db);
  if (cached && cached.until > Date.now()) return cached.bySlug;
  const bySlug = db
    .selectFrom('landmarks')
    .select(['slug', 'name', 'lat', 'lng'])
    .execute()
    .then((rows) => new Map(rows.map((row) => [row.slug, row])));
  landmarkCache.set(db, { until: Date.now() + LANDMARKS_CACHE_SECONDS * 1000, bySlug });
  // A failed read is not kept: the next search asks again.
  bySlug.catch(() => landmarkCache.delete(db));
  return bySlug;
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
