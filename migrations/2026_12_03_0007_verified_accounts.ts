import { sql, type Kysely } from 'kysely';

/**
 * Verified accounts and SMS that cannot be pumped.
 *
 * - users.email_verified_at: an account proves its address with a code before it can book or
 *   list cars. Accounts that exist already are back-filled as verified at their creation: they
 *   registered when Cognito marked every address verified, some hold cars and bookings, and an
 *   unverified account past its grace period may be reclaimed by a new registration of its
 *   address, which must never happen to one of them.
 * - agencies.phone_verified_at: agency SMS go only to a number the agency proved it owns.
 *   Nobody has proved one yet, so every agency starts unverified. A trigger unverifies a phone
 *   whenever it changes, whatever code changes it.
 * - One agency per name (case and blanks ignored) and per phone number (its digits, as the
 *   E.164 number SMS use): unique indexes over agency_name_key() and agency_phone_key(), which
 *   the registration code also queries, so the rule is written once. If existing agencies
 *   already share a name or number, the indexes cannot be built: the migration stops and
 *   names them, for a person to resolve.
 * - verification_codes: only a hash of each 6-digit code, its expiry and a counter of wrong
 *   tries; deleted with its user.
 * - notifications: two new kinds (the code by e-mail, the code by SMS) and an index for the
 *   per-number daily SMS cap.
 *
 * Frozen in time: migrations never import application code.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE users ADD COLUMN email_verified_at timestamptz`.execute(db);
  await sql`UPDATE users SET email_verified_at = created_at`.execute(db);

  await sql`ALTER TABLE agencies ADD COLUMN phone_verified_at timestamptz`.execute(db);
  await sql`
    CREATE FUNCTION agencies_unverify_changed_phone() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.phone IS DISTINCT FROM OLD.phone THEN
        NEW.phone_verified_at := NULL;
      END IF;
      RETURN NEW;
    END
    $$`.execute(db);
  await sql`
    CREATE TRIGGER agencies_unverify_changed_phone BEFORE UPDATE OF phone ON agencies
    FOR EACH ROW EXECUTE FUNCTION agencies_unverify_changed_phone()`.execute(db);

  // "Patong Wheels", "patong  wheels" and "PatongWheels" are one name.
  await sql`
    CREATE FUNCTION agency_name_key(name text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT lower(regexp_replace(name, '\\s+', '', 'g')) $$`.execute(db);
  // The digits of the number in E.164 ("+66 76 000 000", "076-000-000" and "0066 76 000000"
  // are one number): the same reading as smsNumber() in functions/core/notifications/outbox.ts.
  await sql`
    CREATE FUNCTION agency_phone_key(phone text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
      SELECT regexp_replace(
        CASE
          WHEN stripped LIKE '+%' THEN substr(stripped, 2)
          WHEN stripped LIKE '00%' THEN substr(stripped, 3)
          WHEN stripped LIKE '0%' THEN '66' || substr(stripped, 2)
          ELSE stripped
        END, '[^0-9]', '', 'g')
      FROM (SELECT regexp_replace(phone, '[\\s().-]', '', 'g') AS stripped) AS normalized
    $$`.execute(db);
  const { rows: duplicates } = await sql<{ rule: string; ids: string }>`
    SELECT 'name' AS rule, string_agg(id::text, '/') AS ids FROM agencies GROUP BY agency_name_key(name) HAVING count(*) > 1
    UNION ALL
    SELECT 'phone', string_agg(id::text, '/') FROM agencies GROUP BY agency_phone_key(phone) HAVING count(*) > 1
    LIMIT 20`.execute(db);
  if (duplicates.length > 0) {
    throw new Error(`Agencies share a name or phone number; resolve these first: ${duplicates.map((group) => `${group.rule} ${group.ids}`).join(', ')}`);
  }
  await sql`CREATE UNIQUE INDEX agencies_name_key ON agencies (agency_name_key(name))`.execute(db);
  await sql`CREATE UNIQUE INDEX agencies_phone_key ON agencies (agency_phone_key(phone))`.execute(db);

  await sql`
    CREATE TABLE verification_codes (
      id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      purpose    text NOT NULL CHECK (purpose IN ('email', 'phone')),
      target     text NOT NULL CHECK (char_length(target) BETWEEN 3 AND 254),
      code_hash  text NOT NULL CHECK (char_length(code_hash) = 64),
      attempts   integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
      expires_at timestamptz NOT NULL,
      used_at    timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX verification_codes_user_idx ON verification_codes (user_id, purpose, created_at DESC)`.execute(db);

  await sql`
    ALTER TABLE notifications
      DROP CONSTRAINT notifications_kind_known,
      ADD CONSTRAINT notifications_kind_known CHECK (kind IN (
        'booking_received', 'booking_confirmed', 'booking_cancelled', 'booking_expired',
        'pickup_reminder', 'agency_new_booking', 'review_received', 'deposit_refunded',
        'email_verification', 'phone_verification'))`.execute(db);
  // The daily SMS cap counts the rows queued to a number since the start of the day.
  await sql`CREATE INDEX notifications_sms_recipient_idx ON notifications (recipient, created_at) WHERE channel = 'sms'`.execute(db);
}

/**
 * Codes and their messages go (the old code has no template for them, and a code is worth
 * nothing without its table); accounts keep existing, as they were before: unverified.
 */
export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX notifications_sms_recipient_idx`.execute(db);
  await sql`DELETE FROM notifications WHERE kind IN ('email_verification', 'phone_verification')`.execute(db);
  await sql`
    ALTER TABLE notifications
      DROP CONSTRAINT notifications_kind_known,
      ADD CONSTRAINT notifications_kind_known CHECK (kind IN (
        'booking_received', 'booking_confirmed', 'booking_cancelled', 'booking_expired',
        'pickup_reminder', 'agency_new_booking', 'review_received', 'deposit_refunded'))`.execute(db);
  await sql`DROP TABLE verification_codes`.execute(db);
  await sql`DROP INDEX agencies_phone_key`.execute(db);
  await sql`DROP INDEX agencies_name_key`.execute(db);
  await sql`DROP FUNCTION agency_phone_key(text)`.execute(db);
  await sql`DROP FUNCTION agency_name_key(text)`.execute(db);
  await sql`DROP TRIGGER agencies_unverify_changed_phone ON agencies`.execute(db);
  await sql`DROP FUNCTION agencies_unverify_changed_phone()`.execute(db);
  await sql`ALTER TABLE agencies DROP COLUMN phone_verified_at`.execute(db);
  await sql`ALTER TABLE users DROP COLUMN email_verified_at`.execute(db);
}
