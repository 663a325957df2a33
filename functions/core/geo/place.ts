import { sql, type Expression, type RawBuilder, type SqlBool } from 'kysely';

/**
 * Great-circle geometry on cube + earthdistance (PostGIS is not available). Positions are
 * `earth` points (ll_to_earth); cars.location holds each car's effective one, under a GiST index.
 * earthdistance models the Earth as a sphere of radius 6 378 168 m (its earth() function).
 */
export const EARTH_RADIUS_M = 6_378_168;

export const DEFAULT_RADIUS_KM = 5;
export const MAX_RADIUS_KM = 50;

/** A search centre and how far around it to look. */
export interface Place {
  lat: number;
  lng: number;
  radiusKm: number;
}

export function earthPoint(lat: number, lng: number): RawBuilder<string> {
  return sql<string>`ll_to_earth(${lat}::float8, ${lng}::float8)`;
}

/**
 * `location` lies within the place's radius. earth_box is the GiST-indexable bounding cube; the
 * exact test compares straight-line (chord) distances, which order points exactly as
 * great-circle distances do: earth_distance(a, b) <= r ⇔ a <-> b <= gc_to_sec(r). The chord is
 * a plain C function of the cube, several times cheaper per row than earth_distance's trigonometry.
 */
export function withinRadius(location: Expression<string>, place: Place): RawBuilder<SqlBool> {
  const origin = earthPoint(place.lat, place.lng);
  const radiusM = place.radiusKm * 1000;
  return sql<SqlBool>`earth_box(${origin}, ${radiusM}::float8) @> ${location}
    AND ${location} <-> ${origin} <= gc_to_sec(${radiusM}::float8)`;
}

/** Straight-line distance to the place's centre: orders like the great-circle distance, and a GiST index can walk it (KNN). */
export function chordDistance(location: Expression<string>, place: Place): RawBuilder<number> {
  return sql<number>`${location} <-> ${earthPoint(place.lat, place.lng)}`;
}

/** Great-circle distance in metres on earthdistance's sphere. */
export function greatCircleDistance(location: Expression<string>, place: Place): RawBuilder<number> {
  return sql<number>`earth_distance(${earthPoint(place.lat, place.lng)}, ${location})`;
}

/** Kilometres rounded to 10 m, as the API shows them. */
export function kilometres(metres: number): number {
  return Math.round(metres / 10) / 100;
}

/**
 * The map cells (migration 0017's price_segment_cell(): a tenth of a degree each way) that hold
 * every point within the place's radius, or undefined when there are more than `max` of them or
 * the radius reaches a pole or the antimeridian (search then walks without cells). The bounding
 * box is widened by 1 % and a millionth of a degree, so a point on a cell's edge, whose
 * latitude() may round to the cell next to it, is never left out.
 */
export function cellsAround(place: Place, max: number): number[] | undefined {
  const degreesPerKm = 180 / (Math.PI * (EARTH_RADIUS_M / 1000));
  const dLat = place.radiusKm * degreesPerKm * 1.01 + 1e-6;
  const [south, north] = [place.lat - dLat, place.lat + dLat];
  if (south <= -89 || north >= 89) return undefined;
  const dLng = dLat / Math.cos((Math.max(Math.abs(south), Math.abs(north)) * Math.PI) / 180);
  const [west, east] = [place.lng - dLng, place.lng + dLng];
  if (west <= -180 || east >= 180) return undefined;
  const rows = Math.floor(north * 10) - Math.floor(south * 10) + 1;
  const columns = Math.floor(east * 10) - Math.floor(west * 10) + 1;
  if (rows * columns > max) return undefined;
  const cells: number[] = [];
  for (let row = Math.floor(south * 10); row <= Math.floor(north * 10); row++) {
    for (let column = Math.floor(west * 10); column <= Math.floor(east * 10); column++) cells.push((row + 900) * 10_000 + column + 1800);
  }
  return cells;
}
