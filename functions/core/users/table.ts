import type { ColumnType, Generated, Selectable } from 'kysely';

export type Role = 'customer' | 'agency_admin';

export interface UsersTable {
  id: Generated<string>;
  cognito_sub: string;
  email: string;
  full_name: string;
  role: Role;
  /** When the address was proved with a code; null until then (core/users/verification.ts). */
  email_verified_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
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
  /** When the phone was proved with a code sent to it by SMS; a change of phone clears it (trigger). */
  phone_verified_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** Charged per hand-over outside the opening hours; null: such hand-overs are refused. */
  after_hours_fee: ColumnType<number | null, number | null | undefined, number | null>;
  /** Moved by triggers when the after-hours fee, opening hours or delivery options change; never written. */
  terms_version: ColumnType<number, never, never>;
  /** Opening hours and delivery places as rentalTermsJson() reads them, kept by triggers (migration 0015); never written. */
  opening_hours_json: ColumnType<unknown, never, never>;
  delivery_json: ColumnType<unknown, never, never>;
  created_at: ColumnType<Date, never, never>;
}

export type VerificationPurpose = 'email' | 'phone';

/** One code sent to an address or number: only its hash is kept (core/users/verification.ts). */
export interface VerificationCodesTable {
  id: Generated<string>;
  user_id: string;
  purpose: VerificationPurpose;
  /** The e-mail address or E.164 number the code was sent to: it proves that one only. */
  target: string;
  code_hash: string;
  /** Wrong tries so far. */
  attempts: Generated<number>;
  expires_at: ColumnType<Date, Date | string, Date | string>;
  used_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  created_at: ColumnType<Date, Date | string | undefined, never>;
}

export type User = Selectable<UsersTable>;
export type Agency = Selectable<AgenciesTable>;

/** Identities of reclaimed accounts still to be removed from the identity provider (core/users/registration.ts). */
export interface IdentityDeletionsTable {
  sub: string;
  email: string;
  last_error: string | null;
  created_at: ColumnType<Date, never, never>;
}
