import http from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { NotFound } from '#core/errors';
import { forgetConfig } from '#platform/config';
import { MAX_JSON_BODY_BYTES } from '#platform/body-limits';
import { cacheControl, endpoint } from '#platform/http';
import { defineRoute } from '#platform/route';
import { routes } from '#routes';
import { handler as catchAll } from '#functions/api/service/not-found';
import { createLocalServer, listen } from '../../dev/local-server';
import { apiEvent, lambdaContext } from '../helpers/events';

const SECRET = 'password=hunter2 at db.internal:5432';

const thingRoute = defineRoute({
  method: 'POST',
  path: '/test/things/',
  handler: 'test/things',
  access: 'public',
  database: false,
  summary: 'A route for testing the middy stack',
  tags: ['Test'],
  query: z.object({ mode: z.enum(['echo', 'crash', 'missing']).default('echo') }),
  body: z.strictObject({ name: z.string().min(1).max(200), count: z.number().int().min(0) }),
  responses: { 201: { description: 'Created', schema: z.object({ name: z.string(), count: z.number(), mode: z.string(), request_id: z.string() }) } },
});

const handler = endpoint(thingRoute, async ({ query, body, requestId }, reply) => {
  if (query.mode === 'crash') {
    throw Object.assign(new Error(`database exploded: ${SECRET}`), { detail: SECRET });
  }
  if (query.mode === 'missing') throw new NotFound('No such thing.');
  return reply(201, { name: body.name, count: body.count, mode: query.mode, request_id: requestId });
});

function post(body: string | undefined, query?: Record<string, string>, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  return handler(
    apiEvent({ method: 'POST', path: '/api/v1/test/things/', headers, ...(query ? { query } : {}), ...(body !== undefined ? { body } : {}) }),
    lambdaContext('test-things'),
  );
}

function problemOf(result: Awaited<ReturnType<typeof post>>) {
  expect(result.headers?.['content-type']).toBe('application/problem+json');
  const problem = JSON.parse(result.body ?? '') as {
    type: string;
    title: string;
    status: number;
    detail: string;
    errors?: { path: string; message: string }[];
  };
  expect(problem).toMatchObject({ type: expect.any(String), title: expect.any(String), status: result.statusCode, detail: expect.any(String) });
  return problem;
}

describe('endpoint(): the shared middy stack', () => {
  it('runs the handler with the parsed body and query, and answers JSON with the request id', async () => {
    const result = await post(JSON.stringify({ name: 'Honda Click', count: 2 }));
    expect(result.statusCode).toBe(201);
    expect(result.headers?.['content-type']).toMatch(/^application\/json/);
    const body = JSON.parse(result.body ?? '');
    expect(body).toMatchObject({ name: 'Honda Click', count: 2, mode: 'echo' });
    expect(result.headers?.['x-request-id']).toBe(body.request_id);
  });

  it('answers a malformed JSON body with 400 problem+json whose error path is "body" (not middy\'s 422)', async () => {
    const result = await post('{"name": "Honda Click", ');
    expect(result.statusCode).toBe(400);
    const problem = problemOf(result);
    expect(problem.errors?.[0]?.path).toBe('body');
  });

  it('answers a missing body on a route that takes one with 400, not 422 or 500', async () => {
    const result = await post(undefined);
    expect(result.statusCode).toBe(400);
    expect(problemOf(result).errors?.[0]?.path).toBe('body');
  });

  it('parses JSON even when the client forgets the content type', async () => {
    const result = await post(JSON.stringify({ name: 'Yamaha NMAX', count: 1 }), undefined, {});
    expect(result.statusCode).toBe(201);
  });

  it('answers an unknown body field with 400 naming the field', async () => {
    const result = await post(JSON.stringify({ name: 'Honda Click', count: 2, total_price: 1 }));
    expect(result.statusCode).toBe(400);
    const problem = problemOf(result);
    expect(problem.errors?.some((error) => error.message.includes('total_price') || error.path.includes('total_price'))).toBe(true);
  });

  it('answers a body that fails validation with 400 and the failing field as path', async () => {
    const result = await post(JSON.stringify({ name: 'x'.repeat(201), count: -1 }));
    expect(result.statusCode).toBe(400);
    const paths = problemOf(result).errors?.map((error) => error.path);
    expect(paths).toEqual(expect.arrayContaining(['name', 'count']));
  });

  it('answers a JSON body that is not an object (an array, a string, null) with 400', async () => {
    for (const body of ['[]', '"name"', 'null', '42']) {
      const result = await post(body);
      expect(result.statusCode, body).toBe(400);
      problemOf(result);
    }
  });

  it('answers a bad query parameter with 400 and the parameter as path', async () => {
    const result = await post(JSON.stringify({ name: 'Honda Click', count: 2 }), { mode: 'sideways' });
    expect(result.statusCode).toBe(400);
    expect(problemOf(result).errors?.[0]?.path).toBe('mode');
  });

  it('answers an unexpected error with a generic 500 problem that reveals neither message nor stack', async () => {
    const result = await post(JSON.stringify({ name: 'Honda Click', count: 2 }), { mode: 'crash' });
    expect(result.statusCode).toBe(500);
    const problem = problemOf(result);
    expect(problem.status).toBe(500);
    expect(result.body).not.toContain('exploded');
    expect(result.body).not.toContain('hunter2');
    expect(result.body).not.toContain('db.internal');
    expect(result.body).not.toMatch(/\bat .+\.(ts|js):\d+/); // a stack frame
    expect(result.body).not.toContain('http-stack.test');
    expect(Object.keys(problem).sort()).toEqual(['detail', 'status', 'title', 'type']);
  });

  it('answers a thrown NotFound with 404 problem+json carrying its detail', async () => {
    const result = await post(JSON.stringify({ name: 'Honda Click', count: 2 }), { mode: 'missing' });
    expect(result.statusCode).toBe(404);
    const problem = problemOf(result);
    expect(problem).toMatchObject({ status: 404, title: 'Not found', detail: 'No such thing.' });
  });

  it('decides validation (400) before the handler runs: a bad body never reaches a 404 handler', async () => {
    const result = await post(JSON.stringify({ name: '' }), { mode: 'missing' });
    expect(result.statusCode).toBe(400);
  });

  it(`refuses a body over ${MAX_JSON_BODY_BYTES} bytes with 413 before parsing it, and takes one at the limit`, async () => {
    const padded = (bytes: number) => {
      const skeleton = JSON.stringify({ name: '', count: 1 });
      return JSON.stringify({ name: 'x'.repeat(bytes - skeleton.length), count: 1 });
    };
    const over = await post(padded(MAX_JSON_BODY_BYTES + 1));
    expect(over.statusCode).toBe(413);
    expect(problemOf(over).detail).toContain(String(MAX_JSON_BODY_BYTES));
    // At the limit the body is parsed and validated as usual (the name is too long: 400, not 413).
    const atLimit = await post(padded(MAX_JSON_BODY_BYTES));
    expect(atLimit.statusCode).toBe(400);
    expect(problemOf(atLimit).errors?.[0]?.path).toBe('name');
  });

  it('counts a base64-encoded body by its decoded bytes', async () => {
    const body = Buffer.from(JSON.stringify({ name: 'y'.repeat(MAX_JSON_BODY_BYTES), count: 1 })).toString('base64');
    const result = await handler({ ...apiEvent({ method: 'POST', path: '/api/v1/test/things/', body }), isBase64Encoded: true }, lambdaContext('test-things'));
    expect(result.statusCode).toBe(413);
  });
});

describe('endpoint() behind CloudFront and WAF (ORIGIN_VERIFY_SECRET set, context waf=true)', () => {
  const ORIGIN_SECRET = 'k3Jd9QmZx7TfLw2VbN8rYpC4sHgE6uAo5iKqXz1M';
  const body = JSON.stringify({ name: 'Honda Click', count: 2 });
  const saved = process.env.ORIGIN_VERIFY_SECRET;
  beforeEach(() => {
    process.env.ORIGIN_VERIFY_SECRET = ORIGIN_SECRET;
    forgetConfig();
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.ORIGIN_VERIFY_SECRET;
    else process.env.ORIGIN_VERIFY_SECRET = saved;
    forgetConfig();
  });

  it('refuses a request without the origin header (sent to the execute-api URL directly) with 403 problem+json', async () => {
    const result = await post(body);
    expect(result.statusCode).toBe(403);
    expect(problemOf(result)).toMatchObject({ status: 403, title: 'Forbidden' });
  });

  it('refuses a wrong origin header with 403, before reading the body', async () => {
    for (const value of ['', 'wrong', ORIGIN_SECRET.slice(0, -1), `${ORIGIN_SECRET}x`]) {
      const result = await post('{"not json', undefined, { 'content-type': 'application/json', 'x-origin-verify': value });
      expect(result.statusCode, JSON.stringify(value)).toBe(403);
      problemOf(result);
    }
  });

  it('handles a request that carries the header CloudFront adds', async () => {
    const result = await post(body, undefined, { 'content-type': 'application/json', 'x-origin-verify': ORIGIN_SECRET });
    expect(result.statusCode).toBe(201);
  });

  it('checks nothing when ORIGIN_VERIFY_SECRET is unset (locally, in tests, without WAF)', async () => {
    delete process.env.ORIGIN_VERIFY_SECRET;
    forgetConfig();
    expect((await post(body)).statusCode).toBe(201);
  });
});

describe('a route that takes no body', () => {
  const confirmRoute = defineRoute({
    method: 'POST',
    path: '/test/things/{id}/confirm/',
    handler: 'test/confirm',
    access: 'public',
    database: false,
    summary: 'A route without a body',
    tags: ['Test'],
    responses: { 200: { description: 'Confirmed', schema: z.object({ confirmed: z.boolean() }) } },
  });
  const confirm = endpoint(confirmRoute, async (_request, reply) => reply(200, { confirmed: true }));
  const send = (body?: string) =>
    confirm(apiEvent({ method: 'POST', path: '/api/v1/test/things/1/confirm/', ...(body !== undefined ? { body } : {}) }), lambdaContext('test-confirm'));

  it('takes no body, an empty one or {}', async () => {
    for (const body of [undefined, '', '  ', '{}', ' { } ']) expect((await send(body)).statusCode, JSON.stringify(body)).toBe(200);
  });

  it('refuses fields it does not know with 400 naming them, and anything else that is not {}', async () => {
    const unknown = await send(JSON.stringify({ status: 'ready', position: 1 }));
    expect(unknown.statusCode).toBe(400);
    expect(problemOf(unknown).errors).toEqual([{ path: 'body', message: 'Unknown field(s): status, position' }]);
    for (const body of ['[]', '"x"', '42', 'null', '{"a":', 'not json']) expect((await send(body)).statusCode, body).toBe(400);
  });
});

describe('text PostgreSQL cannot store: NUL and unpaired surrogates', () => {
  const nestedRoute = defineRoute({
    method: 'POST',
    path: '/test/nested/{slug}/',
    handler: 'test/nested',
    access: 'public',
    database: false,
    summary: 'A route with every kind of input',
    tags: ['Test'],
    params: z.object({ slug: z.string().max(50) }),
    query: z.object({ q: z.string().optional() }),
    body: z.strictObject({ name: z.string().max(200), tags: z.array(z.string()).default([]), agency: z.strictObject({ name: z.string() }).optional() }),
    responses: { 200: { description: 'Echo', schema: z.looseObject({}) } },
  });
  const nested = endpoint(nestedRoute, async ({ body }, reply) => reply(200, body));
  const send = (body: unknown, options: { slug?: string; query?: Record<string, string>; raw?: string } = {}) =>
    nested(
      apiEvent({
        method: 'POST',
        path: '/api/v1/test/nested/x/',
        pathParameters: { slug: options.slug ?? 'x' },
        ...(options.query ? { query: options.query } : {}),
        body: options.raw ?? JSON.stringify(body),
      }),
      lambdaContext('test-nested'),
    );

  it.each([
    ['a NUL in a body field', { name: 'Hon\u0000da' }, 'name', /NUL/],
    ['an escaped NUL alone', { name: '\u0000' }, 'name', /NUL/],
    ['a lone high surrogate', { name: 'Honda \ud83d' }, 'name', /surrogate/],
    ['a lone low surrogate', { name: '\udc00 Honda' }, 'name', /surrogate/],
    ['a NUL in an array item', { name: 'Honda', tags: ['ok', 'b\u0000d'] }, 'tags.1', /NUL/],
    ['a NUL in a nested object', { name: 'Honda', agency: { name: 'Patong\u0000Wheels' } }, 'agency.name', /NUL/],
  ])('refuses %s with 400 naming the field, though the schema would take it', async (_label, body, path, message) => {
    const result = await send(body);
    expect(result.statusCode).toBe(400);
    const problem = problemOf(result);
    expect(problem.errors).toContainEqual({ path, message: expect.stringMatching(message) });
  });

  it('refuses a NUL in a field name, and names it escaped', async () => {
    const result = await send(undefined, { raw: '{"name":"Honda","x\\u0000y":1}' });
    expect(result.statusCode).toBe(400);
    const problem = problemOf(result);
    expect(problem.errors).toContainEqual({ path: 'x\\u0000y', message: expect.stringMatching(/^field name .*NUL/) });
    expect(result.body).not.toContain('\u0000');
  });

  it('reports the text problems together with the schema’s own', async () => {
    const result = await send({ name: 'x'.repeat(201) + '\u0000', colour: 'red' });
    const paths = problemOf(result).errors?.map((error) => error.path);
    expect(paths).toEqual(expect.arrayContaining(['name', 'body']));
    expect(problemOf(result).errors?.filter((error) => error.path === 'name')).toHaveLength(2); // too long, and NUL
  });

  it('checks path parameters and query parameters the same way', async () => {
    const inPath = await send({ name: 'Honda' }, { slug: 'pat\u0000ong' });
    expect(inPath.statusCode).toBe(400);
    expect(problemOf(inPath).errors).toContainEqual({ path: 'slug', message: expect.stringMatching(/NUL/) });
    const inQuery = await send({ name: 'Honda' }, { query: { q: '\ud800' } });
    expect(inQuery.statusCode).toBe(400);
    expect(problemOf(inQuery).errors).toContainEqual({ path: 'q', message: expect.stringMatching(/surrogate/) });
  });

  it('refuses only that: well-formed text of any script passes (emoji are surrogate pairs), and a body nested thousands deep is walked to its NUL', async () => {
    const result = await send({ name: 'ภูเก็ต 🛵 Ærø', tags: ['日本語'] });
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body ?? '')).toMatchObject({ name: 'ภูเก็ต 🛵 Ærø' });

    const DEPTH = 2_000; // deeper still, the JSON parser itself refuses the body (400)
    const deep = await send(undefined, { raw: `{"name":"\\u0000","tags":${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}}` });
    expect(deep.statusCode).toBe(400);
    expect(problemOf(deep).errors).toContainEqual({ path: 'name', message: expect.stringMatching(/NUL/) });
  });

  it('refuses a base64-encoded body that is not valid UTF-8 with 400, rather than storing replacement characters', async () => {
    const bytes = Buffer.concat([Buffer.from('{"name":"Hon'), Buffer.from([0xff, 0xfe]), Buffer.from('da"}')]);
    const result = await nested(
      { ...apiEvent({ method: 'POST', path: '/api/v1/test/nested/x/', pathParameters: { slug: 'x' }, body: bytes.toString('base64') }), isBase64Encoded: true },
      lambdaContext('test-nested'),
    );
    expect(result.statusCode).toBe(400);
    expect(problemOf(result).errors).toEqual([{ path: 'body', message: 'is not valid UTF-8' }]);
    const valid = await nested(
      {
        ...apiEvent({ method: 'POST', path: '/api/v1/test/nested/x/', pathParameters: { slug: 'x' }, body: Buffer.from('{"name":"ภูเก็ต"}').toString('base64') }),
        isBase64Encoded: true,
      },
      lambdaContext('test-nested'),
    );
    expect(valid.statusCode).toBe(200);
  });
});

describe('Cache-Control: decided once, by endpoint()', () => {
  const publicGet = (cacheSeconds?: number) =>
    defineRoute({
      method: 'GET',
      path: '/test/catalogue/',
      handler: 'test/catalogue',
      access: 'public',
      database: false,
      ...(cacheSeconds !== undefined ? { cacheSeconds } : {}),
      summary: 'A public read',
      tags: ['Test'],
      query: z.object({ mode: z.enum(['ok', 'missing', 'crash']).default('ok') }),
      responses: { 200: { description: 'A page', schema: z.object({ ok: z.boolean() }) } },
    });
  const handlerFor = (cacheSeconds?: number) =>
    endpoint(publicGet(cacheSeconds), async ({ query }, reply) => {
      if (query.mode === 'missing') throw new NotFound('No such thing.');
      if (query.mode === 'crash') throw new Error('boom');
      // A handler's own Cache-Control does not override the route's.
      return reply(200, { ok: true }, { 'cache-control': 'public, max-age=99999' });
    });
  const get = (cacheSeconds: number | undefined, mode: string) =>
    handlerFor(cacheSeconds)(apiEvent({ method: 'GET', path: '/api/v1/test/catalogue/', query: { mode } }), lambdaContext('test-catalogue'));

  it('lets a public GET with cacheSeconds be cached that long, publicly', async () => {
    const result = await get(30, 'ok');
    expect(result.statusCode).toBe(200);
    expect(result.headers?.['cache-control']).toBe('public, max-age=30');
  });

  it('sends no-store on every error of a cacheable route: 400, 404, 500', async () => {
    for (const [mode, status] of [
      ['sideways', 400],
      ['missing', 404],
      ['crash', 500],
    ] as const) {
      const result = await get(30, mode);
      expect(result.statusCode, mode).toBe(status);
      expect(result.headers?.['cache-control'], mode).toBe('no-store');
    }
  });

  it('sends no-store on a public GET without cacheSeconds (e.g. the health check)', async () => {
    expect((await get(undefined, 'ok')).headers?.['cache-control']).toBe('no-store');
  });

  it('sends no-store on public POSTs (register, token) and their errors, 413 included', async () => {
    const created = await post(JSON.stringify({ name: 'Honda Click', count: 2 }));
    expect(created.statusCode).toBe(201);
    expect(created.headers?.['cache-control']).toBe('no-store');
    for (const body of ['{"name": ', JSON.stringify({ name: 'x'.repeat(MAX_JSON_BODY_BYTES), count: 1 })]) {
      const refused = await post(body);
      expect(refused.statusCode).toBeGreaterThanOrEqual(400);
      expect(refused.headers?.['cache-control']).toBe('no-store');
    }
  });

  it('never lets an authenticated answer be cached, whatever the route declares', () => {
    for (const access of ['signed-in', 'customer', 'agency_admin', 'stripe'] as const) {
      expect(cacheControl({ method: 'GET', access, cacheSeconds: 30 }, 200), access).toBe('no-store');
    }
    expect(cacheControl({ method: 'POST', access: 'public', cacheSeconds: 30 }, 200)).toBe('no-store');
    expect(cacheControl({ method: 'GET', access: 'public', cacheSeconds: 30 }, 304)).toBe('no-store');
  });

  it('declares cacheSeconds only on public GETs of the route table, and on every public read but the health check', () => {
    for (const route of routes) {
      const key = `${route.method} ${route.path}`;
      if (route.cacheSeconds !== undefined) expect({ key, method: route.method, access: route.access }).toEqual({ key, method: 'GET', access: 'public' });
      else if (route.method === 'GET' && route.access === 'public') expect(key).toBe('GET /health/');
    }
  });

  it('sends no-store on the catch-all 404 and 405', async () => {
    const notFound = await catchAll(apiEvent({ method: 'GET', path: '/api/v1/nowhere/' }));
    expect(notFound.statusCode).toBe(404);
    expect(notFound.headers?.['cache-control']).toBe('no-store');
    const wrongMethod = await catchAll(apiEvent({ method: 'DELETE', path: '/api/v1/landmarks/' }));
    expect(wrongMethod.statusCode).toBe(405);
    expect(wrongMethod.headers?.['cache-control']).toBe('no-store');
  });
});

describe('the local server, like the HTTP API', () => {
  it('exposes Location, Retry-After, Idempotent-Replayed and x-request-id to browsers, and sends its own refusals no-store', async () => {
    const server = createLocalServer();
    const baseUrl = await listen(server, 0);
    try {
      const answer = await fetch(`${baseUrl}/api/v1/nowhere/`);
      expect(answer.status).toBe(404);
      expect(answer.headers.get('access-control-allow-origin')).toBe('*');
      expect(answer.headers.get('access-control-expose-headers')?.split(',')).toEqual(
        expect.arrayContaining(['location', 'retry-after', 'idempotent-replayed', 'x-request-id']),
      );
      expect(answer.headers.get('cache-control')).toBe('no-store');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  /** A request with exactly this target in its request line (fetch would normalise it to a path). */
  function rawRequest(baseUrl: string, target: string): Promise<{ status: number; contentType: string | undefined; body: string }> {
    const { hostname, port } = new URL(baseUrl);
    return new Promise((resolve, reject) => {
      const request = http.request({ host: hostname, port: Number(port), method: 'GET', path: target, agent: false }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, contentType: response.headers['content-type'], body: Buffer.concat(chunks).toString('utf8') }),
        );
      });
      request.on('error', reject);
      request.end();
    });
  }

  it('answers an absolute-form request target 400 and a // path 404, problem+json, never 500', async () => {
    const server = createLocalServer();
    const baseUrl = await listen(server, 0);
    try {
      const absolute = await rawRequest(baseUrl, `${baseUrl}/api/v1/health/`);
      expect(absolute).toMatchObject({ status: 400, contentType: 'application/problem+json' });
      expect(JSON.parse(absolute.body)).toMatchObject({ type: '/api/v1/problems/bad-request/', status: 400 });
      for (const target of ['//', '//api/v1/health/', '///', '//x?y=1']) {
        const answer = await rawRequest(baseUrl, target);
        expect({ target, status: answer.status, contentType: answer.contentType }).toEqual({ target, status: 404, contentType: 'application/problem+json' });
      }
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
