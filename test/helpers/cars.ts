import { randomUUID } from 'node:crypto';
import type { Updateable } from 'kysely';
import type { CarsTable } from '#core/cars/table';
import { addDays, todayInBangkok } from '#core/availability/dates';
import type { ReservationStatus } from '#core/reservations/table';
import { getDb } from '#platform/db';
import type { TestApi } from './api';
import { uniqueEmail } from './auth';

/** A complete, valid body for POST /agency/cars/. */
export function carBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    make: 'Toyota',
    model: 'Yaris Ativ',
    year: 2024,
    car_type: 'economy',
    transmission: 'automatic',
    seats: 5,
    fuel_type: 'petrol',
    daily_rate: 90_000,
    deposit_amount: 500_000,
    ...overrides,
  };
}

export async function createCarFor(api: TestApi, token: string, overrides: Record<string, unknown> = {}): Promise<{ id: string; [field: string]: any }> {
  const answer = await api.post('/agency/cars/', carBody(overrides), { token });
  if (answer.status !== 201) throw new Error(`car not created: ${answer.status} ${answer.text}`);
  return answer.body;
}

/** Today's date in Asia/Bangkok moved by `days`, as YYYY-MM-DD. */
export function bangkokDate(days = 0): string {
  return addDays(todayInBangkok(), days);
}

let booker: string | undefined;

/** A customer row to own test bookings (no Cognito user needed to hold dates). */
async function bookerId(): Promise<string> {
  booker ??= (
    await getDb()
      .insertInto('users')
      .values({ cognito_sub: randomUUID(), email: uniqueEmail('booker'), full_name: 'Test Booker', role: 'customer', email_verified_at: new Date() })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
  return booker;
}

/** Inserts a booking row directly, with prices that satisfy the table's checks. */
export async function insertBooking(carId: string, booking: { status: ReservationStatus; start: string; end: string; expiresAt?: Date }): Promise<string> {
  const days = Math.round((Date.parse(booking.end) - Date.parse(booking.start)) / 86_400_000) + 1;
  const subtotal = days * 90_000;
  const row = await getDb()
    .insertInto('reservations')
    .values({
      car_id: carId,
      kind: 'booking',
      status: booking.status,
      start_date: booking.start,
      end_date: booking.end,
      customer_id: await bookerId(),
      expires_at: booking.expiresAt ?? (booking.status === 'pending' ? new Date(Date.now() + 15 * 60_000) : null),
      days,
      daily_rate_at_booking: 90_000,
      subtotal,
      fees: 0,
      tax: 0,
      total_price: subtotal,
      deposit_amount: 500_000,
      payment_intent_id: null,
      reason: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** The car's own rental terms (length discounts, minimum days, notice, lead time, turnaround), written straight into the database. */
export async function setCarTerms(
  carId: string,
  terms: Pick<
    Updateable<CarsTable>,
    | 'weekly_discount_days'
    | 'weekly_discount_percent'
    | 'monthly_discount_days'
    | 'monthly_discount_percent'
    | 'min_rental_days'
    | 'min_notice_hours'
    | 'max_lead_days'
    | 'turnaround_days'
  >,
): Promise<void> {
  await getDb().updateTable('cars').set(terms).where('id', '=', carId).execute();
}

/** A season of the car: its daily rate on these inclusive days, and optionally a stricter minimum rental. */
export async function addSeason(carId: string, season: { name: string; start: string; end: string; dailyRate: number; minRentalDays?: number }): Promise<void> {
  await getDb()
    .insertInto('car_seasons')
    .values({
      car_id: carId,
      name: season.name,
      start_date: season.start,
      end_date: season.end,
      daily_rate: season.dailyRate,
      min_rental_days: season.minRentalDays ?? null,
    })
    .execute();
}

/** The same opening hours ('HH:MM') every day of the week, as setAgencyTerms() takes them. */
export function everyDay(opens: string, closes: string): { weekday: number; opens: string; closes: string }[] {
  return [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, opens, closes }));
}

/**
 * The agency's hand-over terms, each replacing what it had when given: its opening hours by ISO
 * weekday ('HH:MM'; an empty list: hand-overs at any time), its after-hours fee (null: not
 * offered) and the landmarks it delivers to with their fees.
 */
export async function setAgencyTerms(
  agencyId: string,
  terms: { hours?: { weekday: number; opens: string; closes: string }[]; afterHoursFee?: number | null; delivery?: Record<string, number> },
): Promise<void> {
  const db = getDb();
  if (terms.hours) {
    await db.deleteFrom('agency_opening_hours').where('agency_id', '=', agencyId).execute();
    const hours = terms.hours.map((day) => ({ agency_id: agencyId, ...day }));
    if (hours.length > 0) await db.insertInto('agency_opening_hours').values(hours).execute();
  }
  if (terms.afterHoursFee !== undefined) await db.updateTable('agencies').set({ after_hours_fee: terms.afterHoursFee }).where('id', '=', agencyId).execute();
  if (terms.delivery) {
    await db.deleteFrom('agency_delivery_options').where('agency_id', '=', agencyId).execute();
    const options = Object.entries(terms.delivery).map(([landmark, fee]) => ({ agency_id: agencyId, landmark_slug: landmark, fee }));
    if (options.length > 0) await db.insertInto('agency_delivery_options').values(options).execute();
  }
}

/** A maintenance block, as the agency would set one. */
export async function insertBlock(carId: string, start: string, end: string): Promise<void> {
  await getDb()
    .insertInto('reservations')
    .values({
      car_id: carId,
      kind: 'block',
      status: 'confirmed',
      start_date: start,
      end_date: end,
      reason: 'maintenance',
    })
    .execute();
}

/**
 * A minimal valid baseline JPEG (1×1 grey pixel): JFIF header, a flat quantisation table,
 * one-code Huffman tables, and a scan whose only block has DC difference 0 and an EOB.
 */
export function tinyJpeg(): Buffer {
  const huffmanTable = (tableClass: number) => [0xff, 0xc4, 0x00, 0x14, tableClass, 1, ...new Array<number>(15).fill(0), 0x00];
  return Buffer.from([
    0xff,
    0xd8, // SOI
    0xff,
    0xe0,
    0x00,
    0x10,
    ...Buffer.from('JFIF\0'),
    1,
    1,
    0,
    0,
    1,
    0,
    1,
    0,
    0, // APP0
    0xff,
    0xdb,
    0x00,
    0x43,
    0x00,
    ...new Array<number>(64).fill(1), // DQT
    0xff,
    0xc0,
    0x00,
    0x0b,
    8,
    0x00,
    0x01,
    0x00,
    0x01,
    1,
    1,
    0x11,
    0, // SOF0: 8 bit, 1×1, 1 component
    ...huffmanTable(0x00), // DHT: DC table 0
    ...huffmanTable(0x10), // DHT: AC table 0
    0xff,
    0xda,
    0x00,
    0x08,
    1,
    1,
    0x00,
    0,
    63,
    0, // SOS
    0x3f, // DC category 0 ('0'), EOB ('0'), padded with ones
    0xff,
    0xd9, // EOI
  ]);
}

/** The public URL of an object in the images bucket (s3rver here, which serves any key). */
export function objectUrl(key: string): string {
  return `${process.env.IMAGES_PUBLIC_BASE_URL}/${key}`;
}

export async function objectExists(key: string): Promise<boolean> {
  const answer = await fetch(objectUrl(key), { method: 'HEAD' });
  if (answer.status !== 200 && answer.status !== 404) throw new Error(`unexpected ${answer.status} for ${key}`);
  return answer.status === 200;
}

/** The object key a presigned (path-style) upload URL points at. */
export function keyOfUploadUrl(url: string): string {
  const bucketPrefix = `/${process.env.IMAGES_BUCKET}/`;
  const path = new URL(url).pathname;
  if (!path.startsWith(bucketPrefix)) throw new Error(`not a URL of the images bucket: ${url}`);
  return decodeURIComponent(path.slice(bucketPrefix.length));
}

export interface StartedUpload {
  id: string;
  status: 'pending';
  upload: { method: 'PUT'; url: string; headers: Record<string, string> };
  expires_at: string;
}

export async function startUpload(
  api: TestApi,
  token: string,
  carId: string,
  declared: { content_type: string; content_length: number },
): Promise<StartedUpload> {
  const answer = await api.post(`/agency/cars/${carId}/images/`, declared, { token });
  if (answer.status !== 201) throw new Error(`upload not started: ${answer.status} ${answer.text}`);
  return answer.body;
}

/** PUTs bytes to a presigned URL with the headers the API asked for (or others, to misbehave). */
export async function putObject(url: string, bytes: Buffer, contentType: string): Promise<number> {
  const answer = await fetch(url, { method: 'PUT', headers: { 'content-type': contentType }, body: bytes });
  await answer.arrayBuffer();
  return answer.status;
}

/** Starts, uploads and confirms a JPEG photo; returns the confirmed image. */
export async function addPhoto(
  api: TestApi,
  token: string,
  carId: string,
  bytes = tinyJpeg(),
): Promise<{ id: string; url: string; position: number; status: 'ready' }> {
  const started = await startUpload(api, token, carId, { content_type: 'image/jpeg', content_length: bytes.length });
  const put = await putObject(started.upload.url, bytes, 'image/jpeg');
  if (put !== 200) throw new Error(`upload failed: ${put}`);
  const confirmed = await api.post(`/agency/cars/${carId}/images/${started.id}/confirm/`, undefined, { token });
  if (confirmed.status !== 200) throw new Error(`confirm failed: ${confirmed.status} ${confirmed.text}`);
  return confirmed.body;
}
