import type { ColumnType, Generated, Selectable } from 'kysely';

export type Role = 'customer' | 'agency_admin';

export interface UsersTable {
  id: Generated<string>;
  cognito_sub: string;
  email: string;
  full_name: string;
  role: Role;
  created_at: ColumnType<Date, never, never>;
}

export interface AgenciesTable {
  id: Generated<string>;
  admin_user_id: string;
  name: string;
  phone: string;
  address: string;
  lat: number;
  lng: number;
  rating_average: ColumnType<number, never, number>;
  review_count: ColumnType<number, never, number>;
  created_at: ColumnType<Date, never, never>;
}

export type User = Selectable<UsersTable>;
export type Agency = Selectable<AgenciesTable>;
