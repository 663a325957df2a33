import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import type { Database } from '#core/database';
import { ValidationError } from '#core/errors';
import { decodeCursor, encodeCursor, keysetAfter, keysetPage, PAGE_SIZE, pageFrom, pageOfRows, pagePosition, type SortKey } from '#core/pagination';
import { decodeSortCursor, sortKeys, sortPosition, STAY_PRICE_BOUNDS } from '#core/search/ordering';
import { PageQuery } from '#platform/pagination';

/** Compiles queries as PostgreSQL would receive them; nothing is executed. */
const db = new Kysely<Database>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (kysely) => new PostgresIntrospector(kysely),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

const NEWEST_FIRST: SortKey[] = [
  { expression: sql.ref('reservations.created_at'), direction: 'desc', type: 'timestamptz' },
  { expression: sql.ref('reservations.id'), direction: 'desc', type: 'uuid' },
];
const ID = '7f0c1d52-3a4b-4c5d-8e6f-0123456789ab';

function compiled(condition: ReturnType<typeof keysetAfter>) {
  return db.selectFrom('reservations').select('id').where(condition).compile();
}

describe('the page size', () => {
  it('defaults to 20 and allows 1 to 100 results', () => {
    expect(PageQuery.parse({})).toEqual({ limit: PAGE_SIZE.default });
    expect(PAGE_SIZE).toEqual({ default: 20, max: 100 });
    expect(PageQuery.parse({ limit: '100' }).limit).toBe(100);
    expect(PageQuery.safeParse({ limit: '101' }).success).toBe(false);
    expect(PageQuery.safeParse({ limit: '0' }).success).toBe(false);
  });

  it('is asked for by ?limit= and ?cursor= only: an unknown parameter is refused, also by a list that adds its filters', () => {
    expect(PageQuery.safeParse({ limit: '5', page: '2' }).success).toBe(false);
    expect(PageQuery.extend({ status: z.string().optional() }).safeParse({ status: 'pending', offset: '10' }).success).toBe(false);
  });
});

describe('cursors', () => {
  it('give back the position they were made of', () => {
    const position = ['2026-01-05 10:04:05.123456+07', ID] as const;
    expect(decodeCursor(encodeCursor(position), ['timestamp', 'uuid'])).toEqual(position);
  });

  it('refuse a forged or foreign cursor with a 400 naming the cursor', () => {
    const forged = [
      'not base64 json at all',
      encodeCursor(['2026-01-05T03:04:05Z']), // too short
      encodeCursor(['2026-01-05T03:04:05Z', 'not-a-uuid']),
      encodeCursor(['2026-02-30T03:04:05Z', ID]), // no such day
      encodeCursor([1, ID]),
      Buffer.from('{"a":1}').toString('base64url'),
    ];
    for (const cursor of forged) {
      const attempt = () => decodeCursor(cursor, ['timestamp', 'uuid']);
      expect(attempt, cursor).toThrow(ValidationError);
      try {
        attempt();
      } catch (error) {
        expect((error as ValidationError).status).toBe(400);
        expect((error as ValidationError).errors).toEqual([{ path: 'cursor', message: expect.any(String) }]);
      }
    }
  });

  it('of one list are refused by a list of another order, when the page is asked for: before any query', () => {
    const bookingCursor = encodeCursor(['2026-01-05', ID]); // (start_date, id)
    expect(() => pagePosition(NEWEST_FIRST, { limit: 20, cursor: bookingCursor })).toThrow(ValidationError);
  });

  it('are read in each form PostgreSQL and JavaScript write an instant', () => {
    for (const instant of ['2026-01-05T03:04:05.123456+00:00', '2026-01-05T03:04:05+00:00', '2026-01-05T03:04:05.123Z', '2026-01-05 10:04:05.123456+07']) {
      expect(pagePosition(NEWEST_FIRST, { limit: 20, cursor: encodeCursor([instant, ID]) }).after, instant).toEqual([instant, ID]);
    }
  });
});

describe('the keyset comparison', () => {
  it('compares a descending order as one row value, each value cast to its column type', () => {
    const query = compiled(keysetAfter(NEWEST_FIRST, ['2026-01-05T03:04:05.123Z', ID]));
    expect(query.sql).toContain('("reservations"."created_at", "reservations"."id") < ($1::timestamptz, $2::uuid)');
    expect(query.parameters).toEqual(['2026-01-05T03:04:05.123Z', ID]);
  });

  it('uses > for an ascending order', () => {
    const byStart: SortKey[] = [
      { expression: sql.ref('start_date'), direction: 'asc', type: 'date' },
      { expression: sql.ref('id'), direction: 'asc', type: 'uuid' },
    ];
    expect(compiled(keysetAfter(byStart, ['2027-01-10', ID])).sql).toContain('("start_date", "id") > ($1::date, $2::uuid)');
  });

  it('splits mixed directions into runs: after the first run, or equal to it and after the rest', () => {
    const mixed: SortKey[] = [
      { expression: sql.ref('rating'), direction: 'desc', type: 'numeric' },
      { expression: sql.ref('rate'), direction: 'asc', type: 'int4' },
      { expression: sql.ref('id'), direction: 'asc', type: 'uuid' },
    ];
    const query = compiled(keysetAfter(mixed, [4.5, 1500, ID]));
    expect(query.sql).toContain('(("rating") < ($1::numeric) OR (("rating") = ($2::numeric) AND ("rate", "id") > ($3::int4, $4::uuid)))');
    expect(query.parameters).toEqual([4.5, 4.5, 1500, ID]);
  });
});

describe('keysetPage', () => {
  it("orders by the keys, starts after the cursor, fetches one row more than the page and selects each row's position from the keys", () => {
    const cursor = encodeCursor(['2026-01-05 10:04:05.123456+07', ID]);
    const query = keysetPage(db.selectFrom('reservations').select('id'), pagePosition(NEWEST_FIRST, { limit: 5, cursor })).compile();
    expect(query.sql).toBe(
      'select "id", json_build_array("reservations"."created_at", "reservations"."id") as "page_position" from "reservations" ' +
        'where ("reservations"."created_at", "reservations"."id") < ($1::timestamptz, $2::uuid) ' +
        'order by "reservations"."created_at" desc, "reservations"."id" desc limit $3',
    );
    expect(query.parameters).toEqual(['2026-01-05 10:04:05.123456+07', ID, 6]);
  });

  it('starts at the beginning without a cursor', () => {
    const query = keysetPage(db.selectFrom('reservations').select('id'), pagePosition(NEWEST_FIRST, { limit: 20 })).compile();
    expect(query.sql).toBe(
      'select "id", json_build_array("reservations"."created_at", "reservations"."id") as "page_position" from "reservations" ' +
        'order by "reservations"."created_at" desc, "reservations"."id" desc limit $1',
    );
    expect(query.parameters).toEqual([21]);
  });
});

describe('pageFrom', () => {
  const rows = [1, 2, 3].map((n) => ({ n, page_position: [`${n}`] }));

  it('shows the page and gives the position of its last row as the cursor when the extra row says there is more', () => {
    const page = pageFrom(rows, { limit: 2 }, (row) => row.n * 10);
    expect(page.results).toEqual([10, 20]);
    expect(decodeCursor(page.next_cursor!, ['text'])).toEqual(['2']);
  });

  it('ends without a cursor on the last page', () => {
    expect(pageFrom(rows, { limit: 3 }, (row) => row.n)).toEqual({ results: [1, 2, 3], next_cursor: null });
  });

  it('hands each item its row without the position', () => {
    expect(pageFrom(rows, { limit: 3 }, (row) => row).results).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });
});

describe('pageOfRows', () => {
  it('takes the position of a row from the caller, for a query that pages by itself (search)', () => {
    const page = pageOfRows(
      [{ id: 'a' }, { id: 'b' }],
      { limit: 1 },
      (row) => row.id,
      (row) => ['price', row.id],
    );
    expect(page).toEqual({ results: ['a'], next_cursor: encodeCursor(['price', 'a']) });
  });
});

describe("search's price cursors", () => {
  const keys = sortKeys('price', undefined);
  const issued = (stayPrice: number) => encodeCursor(sortPosition('price', keys, { stay_price: stayPrice, id: ID }));

  it('give back the stay price and id search issued them with, up to the dearest stay there can be', () => {
    for (const stayPrice of [0, 123_450, STAY_PRICE_BOUNDS.max]) {
      expect(decodeSortCursor(issued(stayPrice), 'price', keys)).toEqual([stayPrice, ID]);
    }
  });

  it('refuse with a 400 a stay price no stay can have, and a cursor of another ordering or length', () => {
    const forged = [
      issued(99_999_999_999), // dearer than 90 days at the highest rate there is
      issued(STAY_PRICE_BOUNDS.max + 1),
      issued(-1),
      issued(1.5),
      encodeCursor(['price', '100', ID]),
      encodeCursor(['-price', 100, ID]),
      encodeCursor(['price', 100]),
    ];
    for (const cursor of forged) expect(() => decodeSortCursor(cursor, 'price', keys), cursor).toThrow(ValidationError);
  });
});
