import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { Conflict } from '#core/errors';
import { createReview } from '#core/reviews/reviews';
import { getDb } from '#platform/db';
import { useApi, type ApiAnswer } from '../helpers/api';
import { createAgencyAdmin, createCustomer, type TestUser } from '../helpers/auth';
import { createMigrator, migrateToLatest, migrations } from '#migrations/index';
import { connect, createScratchDatabase } from '../helpers/db';
import { insertAgency, insertBookingRow, insertCar, insertUser } from '../helpers/rentals';

const api = useApi();
const db = getDb();

let customer: TestUser;
let agency: TestUser;
let agencyCar: string;

beforeAll(async () => {
  [customer, agency] = await Promise.all([createCustomer(), createAgencyAdmin()]);
  agencyCar = await insertCar(agency.agency!.id);
});

let day = 0;
/** A distinct past date range per booking (completed bookings hold no dates, but stay tidy). */
function pastRange(): { start: string; end: string } {
  const start = new Date(Date.UTC(2025, 0, 1 + 3 * day++));
  const end = new Date(start.getTime() + 86_400_000);
  return { start: start.toISOString().slice(0, 10), end: end.toISOString().slice(0, 10) };
}

async function booking(options: { carId?: string; customerId?: string; status?: 'completed' | 'pending' | 'confirmed' | 'cancelled' | 'expired' } = {}) {
  return insertBookingRow({
    carId: options.carId ?? agencyCar,
    customerId: options.customerId ?? customer.user.id,
    status: options.status ?? 'completed',
    ...pastRange(),
  });
}

const agencyRating = (agencyId: string) =>
  db.selectFrom('agencies').select(['rating_average', 'review_count']).where('id', '=', agencyId).executeTakeFirstOrThrow();
const reviewsOf = (bookingId: string) => db.selectFrom('reviews').selectAll().where('reservation_id', '=', bookingId).execute();

describe('POST /bookings/{id}/review/', () => {
  it("creates the review (201) and moves the agency's rating_average and review_count with it", async () => {
    const shop = await insertAgency();
    const car = await insertCar(shop.id);
    const ratings = [5, 4, 4];
    const expected = [
      { rating_average: 5, review_count: 1 },
      { rating_average: 4.5, review_count: 2 },
      { rating_average: 4.33, review_count: 3 }, // 13 / 3 = 4.333… rounded to 2 decimals
    ];
    for (const [index, rating] of ratings.entries()) {
      const bookingId = await booking({ carId: car });
      const answer = await api.post(`/bookings/${bookingId}/review/`, { rating, comment: `Ride ${index}` }, { token: customer.token });
      expect(answer.status).toBe(201);
      expect(answer.body).toEqual({
        id: expect.any(String),
        booking_id: bookingId,
        agency_id: shop.id,
        rating,
        comment: `Ride ${index}`,
        created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
        reply: null,
        replied_at: null,
      });
      expect(await agencyRating(shop.id)).toEqual(expected[index]);
    }
  });

  it('queues a review_received email to the agency admin in the same transaction', async () => {
    const bookingId = await booking();
    const answer = await api.post(`/bookings/${bookingId}/review/`, { rating: 2, comment: 'Brakes squeaked' }, { token: customer.token });
    expect(answer.status).toBe(201);
    const rows = await db.selectFrom('notifications').selectAll().where('reservation_id', '=', bookingId).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      kind: 'review_received',
      channel: 'email',
      recipient: agency.email,
      status: 'pending',
      dedupe_key: `review_received:${answer.body.id}`,
      payload: { review_id: answer.body.id, rating: 2, comment: 'Brakes squeaked', customer_name: 'Test T.' },
    });
  });

  it('answers 409 for a booking that is not completed, and writes nothing', async () => {
    for (const status of ['pending', 'confirmed', 'cancelled', 'expired'] as const) {
      const bookingId = await booking({ status });
      const answer = await api.post(`/bookings/${bookingId}/review/`, { rating: 5 }, { token: customer.token });
      expect(answer.status, status).toBe(409);
      expect(answer.headers.get('content-type')).toBe('application/problem+json');
      expect(await reviewsOf(bookingId)).toEqual([]);
      expect(await db.selectFrom('notifications').select('id').where('reservation_id', '=', bookingId).execute()).toEqual([]);
    }
  });

  it("answers 404 for another customer's booking and for an unknown one", async () => {
    const stranger = await insertUser('customer');
    const theirs = await booking({ customerId: stranger.id });
    const answer = await api.post(`/bookings/${theirs}/review/`, { rating: 1 }, { token: customer.token });
    expect(answer.status).toBe(404);
    expect(await reviewsOf(theirs)).toEqual([]);
    const unknown = await api.post('/bookings/00000000-0000-4000-8000-000000000000/review/', { rating: 1 }, { token: customer.token });
    expect(unknown.status).toBe(404);
  });

  it('answers 409 to a second review of the same booking, and the agency counts the booking once', async () => {
    const shop = await insertAgency();
    const bookingId = await booking({ carId: await insertCar(shop.id) });
    expect((await api.post(`/bookings/${bookingId}/review/`, { rating: 5 }, { token: customer.token })).status).toBe(201);
    const again = await api.post(`/bookings/${bookingId}/review/`, { rating: 1, comment: 'changed my mind' }, { token: customer.token });
    expect(again.status).toBe(409);
    expect(await reviewsOf(bookingId)).toHaveLength(1);
    expect(await agencyRating(shop.id)).toEqual({ rating_average: 5, review_count: 1 });
  });

  it('lets exactly one of two concurrent reviews of one booking through: the unique constraint answers the other with a conflict', async () => {
    const bookingId = await booking();
    const connections = [connect(process.env.DATABASE_URL!, 1), connect(process.env.DATABASE_URL!, 1)];
    try {
      await Promise.all(connections.map((connection) => sql`SELECT 1`.execute(connection)));
      const outcomes = await Promise.allSettled(
        connections.map((connection, index) => createReview(connection, customer.user.id, bookingId, { rating: index + 3, comment: '' })),
      );
      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
      const [loser] = outcomes.filter((outcome) => outcome.status === 'rejected');
      expect(loser!.reason).toBeInstanceOf(Conflict);
      expect((loser!.reason as Conflict).cause).toMatchObject({ code: '23505', constraint: 'reviews_reservation_id_key' });
      expect(await reviewsOf(bookingId)).toHaveLength(1);
    } finally {
      await Promise.all(connections.map((connection) => connection.destroy()));
    }
  });

  it('refuses a bad rating, an overlong comment, unknown fields and malformed JSON with 400, before looking at the booking', async () => {
    const stranger = await insertUser('customer');
    const mine = await booking();
    const theirs = await booking({ customerId: stranger.id });
    const bodies = [
      {},
      { rating: 0 },
      { rating: 6 },
      { rating: 4.5 },
      { rating: '5' },
      { rating: null },
      { rating: 5, comment: 'x'.repeat(2001) },
      { rating: 5, comment: 42 },
      { rating: 5, agency_id: agency.agency!.id },
    ];
    for (const bookingId of [mine, theirs]) {
      for (const body of bodies) {
        const answer = await api.post(`/bookings/${bookingId}/review/`, body, { token: customer.token });
        expect(answer.status, JSON.stringify(body).slice(0, 60)).toBe(400);
        expect(answer.body.errors.length).toBeGreaterThan(0);
      }
      const malformed = await api.request('POST', `/bookings/${bookingId}/review/`, {
        token: customer.token,
        rawBody: '{"rating": 5',
        headers: { 'content-type': 'application/json' },
      });
      expect(malformed.status).toBe(400);
    }
    expect((await api.post('/bookings/not-a-uuid/review/', { rating: 5 }, { token: customer.token })).status).toBe(400);
    expect(await reviewsOf(mine)).toEqual([]);
    // The limit itself is fine: exactly 2,000 characters.
    const longest = await api.post(`/bookings/${mine}/review/`, { rating: 3, comment: 'y'.repeat(2000) }, { token: customer.token });
    expect(longest.status).toBe(201);
  });

  it('is for customers: 401 without a token, 403 for an agency admin', async () => {
    const bookingId = await booking();
    expect((await api.post(`/bookings/${bookingId}/review/`, { rating: 5 })).status).toBe(401);
    expect((await api.post(`/bookings/${bookingId}/review/`, { rating: 5 }, { token: agency.token })).status).toBe(403);
  });

  it('keeps rating_average exact under 20 concurrent reviews of one agency on separate connections', async () => {
    const shop = await insertAgency();
    const car = await insertCar(shop.id);
    const ratings = [5, 4, 3, 5, 2, 5, 4, 1, 5, 3, 4, 4, 5, 2, 3, 5, 4, 5, 1, 3]; // sum 73: 73 / 20 = 3.65
    const bookings: string[] = [];
    for (const _ of ratings) bookings.push(await booking({ carId: car }));
    const connections = ratings.map(() => connect(process.env.DATABASE_URL!, 1));
    try {
      // Every connection is open before the race starts, so the 20 transactions really overlap.
      await Promise.all(connections.map((connection) => sql`SELECT 1`.execute(connection)));
      await Promise.all(
        connections.map((connection, index) => createReview(connection, customer.user.id, bookings[index]!, { rating: ratings[index]!, comment: '' })),
      );
    } finally {
      await Promise.all(connections.map((connection) => connection.destroy()));
    }
    const { rows } = await sql<{ average: number; count: number }>`
      SELECT round(avg(rating), 2) AS average, count(*) AS count FROM reviews WHERE agency_id = ${shop.id}`.execute(db);
    expect(rows[0]).toEqual({ average: 3.65, count: 20 });
    expect(await agencyRating(shop.id)).toEqual({ rating_average: 3.65, review_count: 20 });
  });
});

describe('GET /agencies/{id}/reviews/', () => {
  it('lists reviews newest first with the reviewer as first name and initial, paging without gaps or repeats', async () => {
    const shop = await insertAgency();
    const car = await insertCar(shop.id);
    const reviewer = await insertUser('customer', { fullName: 'Somchai  Kittisak' });
    const ids: string[] = [];
    for (const rating of [1, 2, 3, 4, 5]) {
      const bookingId = await booking({ carId: car, customerId: reviewer.id });
      ids.push((await createReview(db, reviewer.id, bookingId, { rating, comment: `rated ${rating}` })).id);
    }
    // Distinct times, except two reviews written in the same microsecond: the id breaks the tie.
    const times = ['2026-01-01T10:00:00.000001Z', '2026-01-03T10:00:00Z', '2026-01-02T10:00:00.123456Z', '2026-01-02T10:00:00.123456Z', '2026-01-04T10:00:00Z'];
    for (const [index, id] of ids.entries()) {
      await sql`UPDATE reviews SET created_at = ${times[index]}::timestamptz WHERE id = ${id}`.execute(db);
    }
    const expected = ids
      .map((id, index) => ({ id, time: times[index]! }))
      .sort((a, b) => (a.time === b.time ? (a.id < b.id ? 1 : -1) : a.time < b.time ? 1 : -1))
      .map((entry) => entry.id);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const answer: ApiAnswer = await api.get(`/agencies/${shop.id}/reviews/?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(answer.status).toBe(200);
      expect(answer.body.results.length).toBeLessThanOrEqual(2);
      seen.push(...answer.body.results.map((review: { id: string }) => review.id));
      cursor = answer.body.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(seen).toEqual(expected);
    expect(pages).toBe(3);

    const first = await api.get(`/agencies/${shop.id}/reviews`);
    expect(first.body.next_cursor).toBeNull();
    expect(first.body.results[0]).toEqual({
      id: ids[4],
      rating: 5,
      comment: 'rated 5',
      created_at: '2026-01-04T10:00:00.000Z',
      customer_name: 'Somchai K.',
      reply: null,
      replied_at: null,
    });
    expect(first.text).not.toContain(reviewer.email);
    expect(first.text).not.toContain('Kittisak');
  });

  it('shows an agency without reviews as an empty page, and answers 404 for an unknown agency', async () => {
    const shop = await insertAgency();
    const empty = await api.get(`/agencies/${shop.id}/reviews/`);
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual({ results: [], next_cursor: null });
    expect((await api.get('/agencies/00000000-0000-4000-8000-000000000000/reviews/')).status).toBe(404);
  });

  it('refuses a bad limit, a foreign cursor and unknown query parameters with 400', async () => {
    const shop = await insertAgency();
    for (const query of ['limit=0', 'limit=101', 'cursor=bm90LWEtY3Vyc29y', `cursor=${Buffer.from('["yesterday","x"]').toString('base64url')}`, 'sort=oldest']) {
      const answer = await api.get(`/agencies/${shop.id}/reviews/?${query}`);
      expect(answer.status, query).toBe(400);
    }
    expect((await api.get('/agencies/not-a-uuid/reviews/')).status).toBe(400);
  });
});

describe('POST /agencies/{id}/reviews/{review_id}/reply/', () => {
  async function reviewOfAgency(): Promise<string> {
    const bookingId = await booking();
    return (await createReview(db, customer.user.id, bookingId, { rating: 3, comment: 'ok' })).id;
  }

  it('lets the admin of the agency reply once (200 with the reply), then answers 409', async () => {
    const reviewId = await reviewOfAgency();
    const path = `/agencies/${agency.agency!.id}/reviews/${reviewId}/reply/`;
    const answer = await api.post(path, { reply: 'Thank you, see you next time!' }, { token: agency.token });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ id: reviewId, rating: 3, reply: 'Thank you, see you next time!', replied_at: expect.any(String) });

    const again = await api.post(path, { reply: 'Second thoughts' }, { token: agency.token });
    expect(again.status).toBe(409);
    const row = await db.selectFrom('reviews').select('reply').where('id', '=', reviewId).executeTakeFirstOrThrow();
    expect(row.reply).toBe('Thank you, see you next time!');

    const listed = await api.get(`/agencies/${agency.agency!.id}/reviews/?limit=100`);
    expect(listed.body.results.find((review: { id: string }) => review.id === reviewId)).toMatchObject({
      reply: 'Thank you, see you next time!',
      replied_at: answer.body.replied_at,
    });
  });

  it("answers 404 to another agency's admin, whichever agency the path names", async () => {
    const reviewId = await reviewOfAgency();
    const other = await createAgencyAdmin();
    const viaTheirPath = await api.post(`/agencies/${agency.agency!.id}/reviews/${reviewId}/reply/`, { reply: 'Not mine' }, { token: other.token });
    expect(viaTheirPath.status).toBe(404);
    const viaOwnPath = await api.post(`/agencies/${other.agency!.id}/reviews/${reviewId}/reply/`, { reply: 'Not mine' }, { token: other.token });
    expect(viaOwnPath.status).toBe(404);
    const unknown = await api.post(`/agencies/${agency.agency!.id}/reviews/00000000-0000-4000-8000-000000000000/reply/`, { reply: 'x' }, { token: agency.token });
    expect(unknown.status).toBe(404);
    const row = await db.selectFrom('reviews').select(['reply', 'replied_at']).where('id', '=', reviewId).executeTakeFirstOrThrow();
    expect(row).toEqual({ reply: null, replied_at: null });
  });

  it('refuses an empty or overlong reply and unknown fields with 400; a customer gets 403', async () => {
    const reviewId = await reviewOfAgency();
    const path = `/agencies/${agency.agency!.id}/reviews/${reviewId}/reply/`;
    for (const body of [{}, { reply: '' }, { reply: '   ' }, { reply: 'z'.repeat(2001) }, { reply: 'ok', rating: 5 }]) {
      expect((await api.post(path, body, { token: agency.token })).status, JSON.stringify(body).slice(0, 40)).toBe(400);
    }
    expect((await api.post(path, { reply: 'hi' }, { token: customer.token })).status).toBe(403);
    expect((await api.post(path, { reply: 'hi' })).status).toBe(401);
  });
});

describe('the database', () => {
  it("refuses a review whose customer or agency is not its booking's, whatever code writes it", async () => {
    const bookingId = await booking();
    const otherAgency = await insertAgency();
    const stranger = await insertUser('customer');
    const write = (values: { agency_id: string; customer_id: string }) =>
      db.insertInto('reviews').values({ reservation_id: bookingId, rating: 5, comment: '', ...values }).execute();
    await expect(write({ agency_id: otherAgency.id, customer_id: customer.user.id })).rejects.toMatchObject({ code: '23514' });
    await expect(write({ agency_id: agency.agency!.id, customer_id: stranger.id })).rejects.toMatchObject({ code: '23514' });
    expect(await agencyRating(otherAgency.id)).toEqual({ rating_average: 0, review_count: 0 });
  });

  it('computes rating_average and review_count from the reviews already there when the migration runs', async () => {
    const scratch = await createScratchDatabase({ fromTemplate: false });
    const scratchDb = connect<any>(scratch.url, 1);
    try {
      const names = Object.keys(migrations);
      const previous = names[names.indexOf('2026_11_25_0004_reviews_and_outbox') - 1]!;
      expect((await createMigrator(scratchDb).migrateTo(previous)).error).toBeUndefined();
      const shop = await insertAgency({}, scratchDb);
      const car = await insertCar(shop.id, {}, scratchDb);
      const reviewer = await insertUser('customer', {}, scratchDb);
      for (const [index, rating] of [5, 3, 4].entries()) {
        const bookingId = await insertBookingRow(
          { carId: car, customerId: reviewer.id, status: 'completed', start: `2025-02-0${index + 1}`, end: `2025-02-0${index + 1}` },
          scratchDb,
        );
        await scratchDb.insertInto('reviews').values({ reservation_id: bookingId, agency_id: shop.id, customer_id: reviewer.id, rating }).execute();
      }
      await migrateToLatest(scratchDb);
      const row = await scratchDb.selectFrom('agencies').select(['rating_average', 'review_count', 'rating_sum']).where('id', '=', shop.id).executeTakeFirstOrThrow();
      expect(row).toEqual({ rating_average: 4, review_count: 3, rating_sum: 12 });
    } finally {
      await scratchDb.destroy();
      await scratch.drop();
    }
  });
});
