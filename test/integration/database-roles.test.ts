import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { endpoint } from '#platform/http';
import { getDb } from '#platform/db';
import { defineRoute, type RouteDefinition } from '#platform/route';
import { useApi } from '../helpers/api';
import { createAgency, createCar, inDays } from '../helpers/catalog';
import { connect, ownerUrl } from '../helpers/db';
import { apiEvent, lambdaContext } from '../helpers/events';

/**
 * Least privilege: the functions connect as rental_reader or rental_app,
 * never as the owner, and the database itself refuses what a role was not granted.
 * Locally and here, exactly as in Aurora: the roles come from the migrations.
 */
const api = useApi();
const owner = connect<unknown>(ownerUrl(), 1);
afterAll(() => owner.destroy());

/** One agency for the file (fixtures through rental_app, like every test's). */
let agency: Promise<{ id: string }> | undefined;
const fixtureAgency = () => (agency ??= createAgency());

/** SQLSTATE insufficient_privilege: the database refused the statement to this role. */
const REFUSED = { code: '42501' };

describe('rental_reader, the user of public read routes', () => {
  const reader = () => getDb('read');

  it('reads the catalogue, but cannot insert, update or delete a row', async () => {
    const car = await createCar((await fixtureAgency()).id);
    expect(await reader().selectFrom('cars').select('id').where('id', '=', car.id).execute()).toEqual([{ id: car.id }]);

    await expect(
      reader()
        .insertInto('landmarks')
        .values({ slug: 'reader-was-here', name: 'Nope', lat: 7.9, lng: 98.3 } as never)
        .execute(),
    ).rejects.toMatchObject(REFUSED);
    await expect(reader().updateTable('cars').set({ daily_rate: 1 }).where('id', '=', car.id).execute()).rejects.toMatchObject(REFUSED);
    await expect(reader().deleteFrom('cars').where('id', '=', car.id).execute()).rejects.toMatchObject(REFUSED);
  });

  it('cannot read what no public read needs: payment events, idempotency keys, the notification outbox', async () => {
    for (const table of ['payment_events', 'idempotency_keys', 'notifications'] as const) {
      await expect(
        reader()
          .selectFrom(table)
          .select(sql`1`.as('one'))
          .execute(),
        table,
      ).rejects.toMatchObject(REFUSED);
    }
  });
});

describe('rental_app, the user of every route that writes and of the jobs', () => {
  const app = () => getDb('write');

  it('cannot change the schema, truncate a table or touch the migration history', async () => {
    await expect(sql`CREATE TABLE app_was_here (id int)`.execute(app())).rejects.toMatchObject(REFUSED);
    await expect(sql`ALTER TABLE cars ADD COLUMN app_was_here int`.execute(app())).rejects.toMatchObject(REFUSED);
    await expect(sql`DROP TABLE reviews`.execute(app())).rejects.toMatchObject(REFUSED);
    await expect(sql`TRUNCATE reviews`.execute(app())).rejects.toMatchObject(REFUSED);
    await expect(sql`SELECT name FROM kysely_migration`.execute(app())).rejects.toMatchObject(REFUSED);
    await expect(sql`DELETE FROM kysely_migration`.execute(app())).rejects.toMatchObject(REFUSED);
  });

  it('gets the same grants on a table a later migration creates (default privileges of the owner)', async () => {
    await sql`CREATE TABLE later_table (id int)`.execute(owner);
    try {
      await sql`INSERT INTO later_table VALUES (1)`.execute(app());
      expect((await sql<{ id: number }>`SELECT id FROM later_table`.execute(app())).rows).toEqual([{ id: 1 }]);
      // The reader is not given it by default: a migration adding a table decides that.
      await expect(sql`SELECT id FROM later_table`.execute(getDb('read'))).rejects.toMatchObject(REFUSED);
    } finally {
      await sql`DROP TABLE later_table`.execute(owner);
    }
  });
});

describe('the route table decides which user a handler connects as', () => {
  const whoAmI = (database: RouteDefinition['database'] & string) =>
    endpoint(
      defineRoute({
        method: 'GET',
        path: '/test/who-am-i/',
        handler: 'test',
        access: 'public',
        database,
        summary: 'test',
        tags: [],
        responses: { 200: { description: 'ok', schema: z.object({ user: z.string() }) } },
      }),
      async ({ db }, reply) => reply(200, (await sql<{ user: string }>`SELECT current_user AS user`.execute(db)).rows[0]!),
    );
  const call = async (database: 'read' | 'write') =>
    JSON.parse((await whoAmI(database)(apiEvent({ method: 'GET', path: '/api/v1/test/who-am-i/' }), lambdaContext())).body ?? '');

  it('hands a `read` route rental_reader and a `write` route rental_app, never the owner', async () => {
    expect(await call('read')).toEqual({ user: 'rental_reader' });
    expect(await call('write')).toEqual({ user: 'rental_app' });
  });

  it('serves a public search end to end as rental_reader', async () => {
    const shop = await fixtureAgency();
    const car = await createCar(shop.id);
    const answer = await api.get(`/cars/?start_date=${inDays(20)}&end_date=${inDays(22)}&agency_id=${shop.id}&limit=100`);
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body.results.map((result: { id: string }) => result.id)).toContain(car.id);
    // The sessions the API and the fixtures opened on this database, besides this check's own.
    const { rows } = await sql<{ user: string }>`
      SELECT DISTINCT usename AS user FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid() ORDER BY 1`.execute(owner);
    expect(rows.map((row) => row.user)).toEqual(['rental_app', 'rental_reader']);
  });
});
