import type { Selectable } from 'kysely';

export interface LandmarksTable {
  slug: string;
  name: string;
  lat: number;
  lng: number;
}

export type Landmark = Selectable<LandmarksTable>;
