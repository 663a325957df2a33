import net from 'node:net';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { handler } from '#functions/api/service/get-health';
import { forgetConfig } from '#platform/config';
import { closeDb } from '#platform/db';
import { freePort } from '../../dev/ports';
import { apiEvent, lambdaContext } from '../helpers/events';

/**
 * GET /health/ when the database cannot be reached, calling the Lambda handler directly with
 * the process pointed at a database that is not there. The file's own database (per-file
 * setup) is restored afterwards so its teardown can drop it.
 */
const originalEnv = {
  DATABASE_URL: process.env.DATABASE_URL,
  DB_CONNECT_TIMEOUT_MS: process.env.DB_CONNECT_TIMEOUT_MS,
  DB_QUERY_TIMEOUT_MS: process.env.DB_QUERY_TIMEOUT_MS,
};
const CONNECT_TIMEOUT_MS = 500;
/**
 * Longer than the test may run (its timeout): an answer that arrives at all came from the
 * connection failing or its connect timeout, never from a query timeout. No clock is read.
 */
const QUERY_TIMEOUT_MS = 10 * 60_000;

/** A TCP server that accepts connections and never answers: PostgreSQL hung or a black-holed proxy. */
const sockets = new Set<net.Socket>();
const silentServer = net.createServer((socket) => {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
});

async function pointDatabaseAt(port: number, connectTimeoutMs = CONNECT_TIMEOUT_MS): Promise<void> {
  await closeDb();
  const url = new URL(originalEnv.DATABASE_URL!);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  process.env.DATABASE_URL = url.toString();
  process.env.DB_CONNECT_TIMEOUT_MS = String(connectTimeoutMs);
  process.env.DB_QUERY_TIMEOUT_MS = String(QUERY_TIMEOUT_MS);
  forgetConfig();
}

async function callHealth() {
  const result = await handler(apiEvent({ method: 'GET', path: '/api/v1/health/' }), lambdaContext('api-service-get-health'));
  return { result };
}

/** The API contract: 503 "database unavailable (with Retry-After)", as RFC 9457 problem+json like every error. */
function expectUnavailable(result: Awaited<ReturnType<typeof callHealth>>['result']) {
  expect(result.statusCode).toBe(503);
  expect(result.headers?.['retry-after']).toMatch(/^[1-9]\d*$/);
  expect(result.headers?.['content-type']).toBe('application/problem+json');
  expect(JSON.parse(result.body ?? '')).toEqual({
    type: '/api/v1/problems/service-unavailable/',
    title: expect.any(String),
    status: 503,
    detail: expect.any(String),
    database: 'unavailable',
  });
  // Nothing about the connection leaks to the client.
  expect(result.body).not.toMatch(/ECONNREFUSED|timeout|127\.0\.0\.1|postgres/i);
}

beforeEach(async () => {
  await closeDb();
});

afterAll(async () => {
  await closeDb();
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => silentServer.close(resolve));
  Object.assign(process.env, originalEnv);
  if (originalEnv.DB_CONNECT_TIMEOUT_MS === undefined) delete process.env.DB_CONNECT_TIMEOUT_MS;
  if (originalEnv.DB_QUERY_TIMEOUT_MS === undefined) delete process.env.DB_QUERY_TIMEOUT_MS;
  forgetConfig();
});

describe('GET /health/ without a database', () => {
  it('answers 503 problem+json {database: unavailable} with Retry-After when nothing listens on the database port', async () => {
    await pointDatabaseAt(await freePort());
    expectUnavailable((await callHealth()).result);
  });

  it('answers 503 problem+json with Retry-After within about DB_CONNECT_TIMEOUT_MS when the database accepts but never answers', async () => {
    const port = await new Promise<number>((resolve) => {
      silentServer.listen(0, '127.0.0.1', () => resolve((silentServer.address() as net.AddressInfo).port));
    });
    await pointDatabaseAt(port);
    // Answered at all: the connect timeout ended the wait (the query timeout is longer than this test may run).
    expectUnavailable((await callHealth()).result);
  });

  it('recovers (200) on the next request once the database is back, without a new process or pool', async () => {
    const port = await freePort();
    // A refused connection fails at once whatever the timeout; the one through the relay below must not be
    // cut short by a 500 ms budget on a loaded machine (connect and authenticate through two hops).
    await pointDatabaseAt(port, 20_000);
    expectUnavailable((await callHealth()).result);

    // The database comes back on the same address: a TCP relay to the real server.
    const real = new URL(originalEnv.DATABASE_URL!);
    const relay = net.createServer((client) => {
      const upstream = net.connect(Number(real.port), real.hostname);
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
      sockets.add(client);
      client.on('close', () => sockets.delete(client));
    });
    await new Promise<void>((resolve) => relay.listen(port, '127.0.0.1', resolve));
    try {
      const { result } = await callHealth();
      expect(result.statusCode).toBe(200);
      expect(JSON.parse(result.body ?? '')).toEqual({ status: 'ok', database: 'ok' });
    } finally {
      await closeDb();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => relay.close(resolve));
    }
  });
});
