import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { NotFound } from '#core/errors';
import { forgetConfig } from '#platform/config';
import { endpoint, json, MAX_JSON_BODY_BYTES } from '#platform/http';
import { defineRoute } from '#platform/route';
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
  responses: { 201: { description: 'Created' } },
});

const handler = endpoint(thingRoute, async ({ query, body, requestId }) => {
  if (query.mode === 'crash') {
    throw Object.assign(new Error(`database exploded: ${SECRET}`), { detail: SECRET });
  }
  if (query.mode === 'missing') throw new NotFound('No such thing.');
  return json(201, { name: body.name, count: body.count, mode: query.mode, request_id: requestId });
});

function post(body: string | undefined, query?: Record<string, string>, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  return handler(
    apiEvent({ method: 'POST', path: '/api/v1/test/things/', headers, ...(query ? { query } : {}), ...(body !== undefined ? { body } : {}) }),
    lambdaContext('test-things'),
  );
}

function problemOf(result: Awaited<ReturnType<typeof post>>) {
  expect(result.headers?.['content-type']).toBe('application/problem+json');
  const problem = JSON.parse(result.body ?? '') as { type: string; title: string; status: number; detail: string; errors?: { path: string; message: string }[] };
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
    const result = await handler(
      { ...apiEvent({ method: 'POST', path: '/api/v1/test/things/', body }), isBase64Encoded: true },
      lambdaContext('test-things'),
    );
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
    responses: { 200: { description: 'Confirmed' } },
  });
  const confirm = endpoint(confirmRoute, async () => json(200, { confirmed: true }));
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
