import { InsertQueryNode, SelectQueryNode, sql, type KyselyPlugin } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { Conflict } from '#core/errors';
import { createReview } from '#core/reviews/reviews';
import { getDb } from '#platform/db';
import { useApi, type ApiAnswer } from '../helpers/api';
import { book, postStripeEvent, stripeEvent } from '../helpers/bookings';
import { bangkokDate, createCarFor } from '../helpers/cars';
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

/** Resolves every waiter at once when the last of `parties` arrives (as in booking-race.test.ts). */
function barrier(parties: number) {
  let arrived = 0;
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  return {
    arrive: async () => {
      arrived += 1;
      if (arrived === parties) release();
      await released;
    },
    arrived: () => arrived,
  };
}

/**
 * A Kysely on its own pool (a connection per contender) whose createReview transactions are
 * held at two points, so that they really overlap (a race without a barrier passes falsely):
 * 1. after the booking check (createReview's SELECT), until all `parties` transactions are open
 *    and have checked;
 * 2. after the review INSERT, until every transaction has inserted or is blocked inside its
 *    INSERT on another's lock (the agency row the rating trigger updates, or the unique index);
 *    only then do they go on to their commits, all together.
 * `held()` tells how many reached each point before being let go.
 */
function reviewRace(url: string, parties: number) {
  const kinds = new WeakMap<object, 'check' | 'insert'>();
  const checked = barrier(parties);
  let inserted = 0;
  let insertedOrBlocked = 0;
  let stopped = false;
  let letGo!: () => void;
  const goOn = new Promise<void>((resolve) => (letGo = resolve));
  const pool = connect(url, parties + 1); // one connection per contender, one for the monitor
  const monitor = (async () => {
    // Poll until every contender has inserted or waits on a lock (each database here belongs to one test file).
    const deadline = Date.now() + 15_000;
    while (!stopped && Date.now() < deadline) {
      const { rows } = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`.execute(pool);
      if (checked.arrived() === parties && inserted + rows[0]!.n >= parties) {
        insertedOrBlocked = inserted + rows[0]!.n;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    letGo();
  })();
  const plugin: KyselyPlugin = {
    transformQuery({ node, queryId }) {
      if (SelectQueryNode.is(node)) kinds.set(queryId, 'check');
      if (InsertQueryNode.is(node) && node.into?.table.identifier.name === 'reviews') kinds.set(queryId, 'insert');
      return node;
    },
    async transformResult({ queryId, result }) {
      const kind = kinds.get(queryId);
      if (kind === 'check') await checked.arrive();
      if (kind === 'insert') {
        inserted += 1;
        await goOn;
      }
      return result;
    },
  };
  return {
    db: pool.withPlugin(plugin),
    held: () => ({ checked: checked.arrived(), insertedOrBlocked }),
    destroy: async () => {
      stopped = true;
      letGo();
      await monitor;
      await pool.destroy();
    },
  };
}

/**
 * Drops a scratch database once every connection to it has really closed: a pool's destroy()
 * resolves before its sockets are gone, and DROP … WITH (FORCE) would kill them mid-close.
 */
const RACE_RATINGS = [5, 4, 3, 5, 2, 5, 4, 1, 5, 3, 4, 4, 5, 2, 3, 5, 4, 5, 1, 3]; // sum 73: 73 / 20 = 3.65

/** 20 reviews of the customer's 20 bookings (one agency), held open together by reviewRace and committed together. */
async function raceTwentyReviews(url: string, customerId: string, bookings: string[]) {
  const race = reviewRace(url, RACE_RATINGS.length);
  try {
    const outcomes = await Promise.allSettled(
      bookings.map((bookingId, index) => createReview(race.db, customerId, bookingId, { rating: RACE_RATINGS[index]!, comment: '' })),
    );
    return { held: race.held(), failures: outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [String(outcome.reason)] : [])) };
  } finally {
    await race.destroy();
  }
}

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
        verified_rental: true,
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

  it('lets exactly one of two reviews of one booking, held open together, through: the unique constraint answers the other with 409', async () => {
    const shop = await insertAgency();
    const bookingId = await booking({ carId: await insertCar(shop.id) });
    const race = reviewRace(process.env.DATABASE_URL!, 2);
    try {
      const outcomes = await Promise.allSettled([3, 4].map((rating) => createReview(race.db, customer.user.id, bookingId, { rating, comment: '' })));
      // Both had checked the booking before either inserted, and the loser's INSERT waited on the winner's open transaction.
      expect(race.held()).toEqual({ checked: 2, insertedOrBlocked: 2 });
      const won = outcomes.filter((outcome) => outcome.status === 'fulfilled');
      const lost = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as unknown] : []));
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect(lost[0]).toBeInstanceOf(Conflict);
      expect((lost[0] as Conflict).status).toBe(409);
      expect((lost[0] as Conflict).cause).toMatchObject({ code: '23505', constraint: 'reviews_reservation_id_key' });
      const [review] = await reviewsOf(bookingId);
      expect(await reviewsOf(bookingId)).toHaveLength(1);
      expect(await agencyRating(shop.id)).toEqual({ rating_average: review!.rating, review_count: 1 });
    } finally {
      await race.destroy();
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

  it('keeps rating_average and review_count exact when 20 reviews of one agency, each in its own open transaction, commit together', async () => {
    const shop = await insertAgency();
    const car = await insertCar(shop.id);
    const bookings: string[] = [];
    for (const _ of RACE_RATINGS) bookings.push(await booking({ carId: car }));
    const outcome = await raceTwentyReviews(process.env.DATABASE_URL!, customer.user.id, bookings);
    expect(outcome.held).toEqual({ checked: 20, insertedOrBlocked: 20 });
    expect(outcome.failures).toEqual([]);
    const { rows } = await sql<{ average: number; count: number }>`
      SELECT round(avg(rating), 2) AS average, count(*) AS count FROM reviews WHERE agency_id = ${shop.id}`.execute(db);
    expect(rows[0]).toEqual({ average: 3.65, count: 20 });
    expect(await agencyRating(shop.id)).toEqual({ rating_average: 3.65, review_count: 20 });
  });

  it('miscounts the same race on a copy of the schema whose trigger recomputes avg() and count() (so the race above is real)', async () => {
    const scratch = await createScratchDatabase({ fromTemplate: true });
    const scratchDb = connect(scratch.url, 1);
    try {
      await sql`
        CREATE OR REPLACE FUNCTION reviews_update_agency_rating() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          UPDATE agencies
          SET review_count = totals.n, rating_sum = totals.total, rating_average = round(totals.total::numeric / totals.n, 2)
          FROM (SELECT count(*) AS n, sum(rating) AS total FROM reviews WHERE agency_id = NEW.agency_id) AS totals
          WHERE id = NEW.agency_id;
          RETURN NULL;
        END $$`.execute(scratchDb);
      // Users as they were before e-mail verification existed.
      const admin = await insertUser('agency_admin', { verified: false }, scratchDb);
      const shop = await insertAgency({ adminUserId: admin.id }, scratchDb);
      const car = await insertCar(shop.id, {}, scratchDb);
      const reviewer = await insertUser('customer', { verified: false }, scratchDb);
      const bookings: string[] = [];
      for (const [index] of RACE_RATINGS.entries()) {
        const day = `2025-03-${String(index + 1).padStart(2, '0')}`;
        bookings.push(await insertBookingRow({ carId: car, customerId: reviewer.id, status: 'completed', start: day, end: day }, scratchDb));
      }
      const outcome = await raceTwentyReviews(scratch.url, reviewer.id, bookings);
      expect(outcome.held).toEqual({ checked: 20, insertedOrBlocked: 20 });
      expect(outcome.failures).toEqual([]);
      const rating = await scratchDb.selectFrom('agencies').select(['rating_average', 'review_count']).where('id', '=', shop.id).executeTakeFirstOrThrow();
      expect(rating.review_count).toBeLessThan(20);
    } finally {
      await scratchDb.destroy();
      await scratch.drop();
    }
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
      verified_rental: true,
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
    for (const query of [
      'limit=0',
      'limit=101',
      'cursor=bm90LWEtY3Vyc29y',
      `cursor=${Buffer.from('["yesterday","x"]').toString('base64url')}`,
      'sort=oldest',
    ]) {
      const answer = await api.get(`/agencies/${shop.id}/reviews/?${query}`);
      expect(answer.status, query).toBe(400);
    }
    expect((await api.get('/agencies/not-a-uuid/reviews/')).status).toBe(400);
  });

  it('refuses a forged cursor with 400 before looking the agency up, so also for an unknown agency', async () => {
    const forged = Buffer.from('["yesterday","x"]').toString('base64url');
    const answer = await api.get(`/agencies/00000000-0000-4000-8000-000000000000/reviews/?cursor=${forged}`);
    expect(answer.status).toBe(400);
    expect(answer.body.errors).toEqual([{ path: 'cursor', message: expect.any(String) }]);
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
    const unknown = await api.post(
      `/agencies/${agency.agency!.id}/reviews/00000000-0000-4000-8000-000000000000/reply/`,
      { reply: 'x' },
      { token: agency.token },
    );
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
      db
        .insertInto('reviews')
        .values({ reservation_id: bookingId, rating: 5, comment: '', ...values })
        .execute();
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
      // Users as they were before e-mail verification existed.
      const admin = await insertUser('agency_admin', { verified: false }, scratchDb);
      const shop = await insertAgency({ adminUserId: admin.id }, scratchDb);
      const car = await insertCar(shop.id, {}, scratchDb);
      const reviewer = await insertUser('customer', { verified: false }, scratchDb);
      for (const [index, rating] of [5, 3, 4].entries()) {
        const bookingId = await insertBookingRow(
          { carId: car, customerId: reviewer.id, status: 'completed', start: `2025-02-0${index + 1}`, end: `2025-02-0${index + 1}`, depositPaid: false },
          scratchDb,
        );
        await scratchDb.insertInto('reviews').values({ reservation_id: bookingId, agency_id: shop.id, customer_id: reviewer.id, rating }).execute();
      }
      await migrateToLatest(scratchDb);
      const row = await scratchDb
        .selectFrom('agencies')
        .select(['rating_average', 'review_count', 'rating_sum'])
        .where('id', '=', shop.id)
        .executeTakeFirstOrThrow();
      expect(row).toEqual({ rating_average: 4, review_count: 3, rating_sum: 12 });
    } finally {
      await scratchDb.destroy();
      await scratch.drop();
    }
  });
});

describe('honest reviews: only paid, completed rentals, never the agency itself', () => {
  /** The sock-puppet path: a customer books the agency's car for today, then the agency confirms and completes it. */
  async function puppetRental(options: { pay: boolean }) {
    const shop = await createAgencyAdmin();
    const car = await createCarFor(api, shop.token, { is_published: true, deposit_amount: 500_000 });
    const puppet = await createCustomer();
    const today = bangkokDate(0);
    const created = await book(api, puppet.token, { car_id: car.id, start_date: today, end_date: today });
    expect(created.status).toBe(201);
    if (options.pay) {
      expect((await postStripeEvent(api, stripeEvent('payment_intent.succeeded', created.body.payment.intent_id))).body.outcome).toBe('confirmed');
    } else {
      expect((await api.patch(`/agency/bookings/${created.body.id}/`, { status: 'confirmed' }, { token: shop.token })).status).toBe(200);
    }
    const completed = await api.patch(`/agency/bookings/${created.body.id}/`, { status: 'completed' }, { token: shop.token });
    expect(completed.status).toBe(200);
    return { shop, puppet, bookingId: created.body.id as string };
  }

  it('refuses a review of a booking the agency confirmed and completed without any payment (409), and the rating does not move', async () => {
    const { shop, puppet, bookingId } = await puppetRental({ pay: false });
    const answer = await api.post(`/bookings/${bookingId}/review/`, { rating: 5, comment: 'Best shop in Phuket!' }, { token: puppet.token });
    expect(answer.status).toBe(409);
    expect(answer.body.detail).toMatch(/paid/);
    expect(await reviewsOf(bookingId)).toEqual([]);
    expect(await agencyRating(shop.agency!.id)).toEqual({ rating_average: 0, review_count: 0 });
  });

  it('accepts the review once the deposit was paid through the platform, marked as from a verified rental', async () => {
    const { shop, puppet, bookingId } = await puppetRental({ pay: true });
    const answer = await api.post(`/bookings/${bookingId}/review/`, { rating: 4 }, { token: puppet.token });
    expect(answer.status).toBe(201);
    expect(answer.body.verified_rental).toBe(true);
    const listed = await api.get(`/agencies/${shop.agency!.id}/reviews/`);
    expect(listed.body.results[0]).toMatchObject({ rating: 4, verified_rental: true });
  });

  it('the database refuses a review of an unpaid booking, or by the agency admin, whatever code writes it', async () => {
    const shop = await insertAgency();
    const car = await insertCar(shop.id);
    const unpaid = await booking({ carId: car, status: 'completed' });
    await db.updateTable('reservations').set({ deposit_paid_at: null }).where('id', '=', unpaid).execute();
    await expect(
      db.insertInto('reviews').values({ reservation_id: unpaid, agency_id: shop.id, customer_id: customer.user.id, rating: 5 }).execute(),
    ).rejects.toMatchObject({ code: '23514', constraint: 'reviews_match_reservation' });

    const own = await booking({ carId: car, customerId: shop.adminUserId, status: 'completed' });
    await expect(
      db.insertInto('reviews').values({ reservation_id: own, agency_id: shop.id, customer_id: shop.adminUserId, rating: 5 }).execute(),
    ).rejects.toMatchObject({ code: '23514', constraint: 'reviews_match_reservation' });
  });
});
