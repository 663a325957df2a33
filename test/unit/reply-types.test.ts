import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { endpoint } from '#platform/http';
import { defineRoute } from '#platform/route';
import { apiEvent, lambdaContext } from '../helpers/events';

/**
 * A handler answers only with its route's declared successes, each shaped by its schema. These
 * are compile-time checks: `npm run typecheck` fails if any `@ts-expect-error` below stops
 * being an error, i.e. if a wrong answer would type-check again.
 */
const thingRoute = defineRoute({
  method: 'POST',
  path: '/test/things/',
  handler: 'test/things',
  access: 'public',
  database: false,
  summary: 'test',
  tags: [],
  responses: {
    201: { description: 'Created', schema: z.object({ id: z.string(), seats: z.number().int(), note: z.string().nullable() }) },
    202: { description: 'Accepted, nothing to show' },
    409: { description: 'Taken' },
  },
});

const createdRoute = defineRoute({
  method: 'POST',
  path: '/test/created/',
  handler: 'test/created',
  access: 'public',
  database: false,
  summary: 'test',
  tags: [],
  responses: { 201: { description: 'Created', schema: z.object({ id: z.string() }), headers: ['Location'] } },
});

const pageRoute = defineRoute({
  method: 'GET',
  path: '/test/page/',
  handler: 'test/page',
  access: 'public',
  database: false,
  summary: 'test',
  tags: [],
  responses: { 200: { description: 'A page', contentType: 'text/html' } },
});

describe('a route types what its handler may answer', () => {
  it('accepts the declared shapes', () => {
    expect(endpoint(thingRoute, async (_request, reply) => reply(201, { id: 'a', seats: 4, note: null }))).toBeTypeOf('function');
    expect(endpoint(thingRoute, async (_request, reply) => reply(202))).toBeTypeOf('function');
  });

  // Never run: compiling it is the test.
  function refused(): void {
    // @ts-expect-error 200 is not a declared success of this route
    endpoint(thingRoute, async (_request, reply) => reply(200, { id: 'a', seats: 4, note: null }));
    // @ts-expect-error errors are thrown DomainErrors, never replied
    endpoint(thingRoute, async (_request, reply) => reply(409));
    // @ts-expect-error `note` is missing
    endpoint(thingRoute, async (_request, reply) => reply(201, { id: 'a', seats: 4 }));
    // @ts-expect-error `seats` is a number
    endpoint(thingRoute, async (_request, reply) => reply(201, { id: 'a', seats: '4', note: null }));
    // @ts-expect-error `colour` is not in the schema
    endpoint(thingRoute, async (_request, reply) => reply(201, { id: 'a', seats: 4, note: null, colour: 'red' }));
    // @ts-expect-error 202 carries no body
    endpoint(thingRoute, async (_request, reply) => reply(202, { id: 'a' }));
    // @ts-expect-error the response declares Location: the document promises it
    endpoint(createdRoute, async (_request, reply) => reply(201, { id: 'a' }));
    endpoint(createdRoute, async (_request, reply) => reply(201, { id: 'a' }, { location: '/test/created/a/' }));
    // @ts-expect-error a body that is not JSON needs its content type
    endpoint(pageRoute, async (_request, reply) => reply(200, '<p>hello</p>'));
    endpoint(pageRoute, async (_request, reply) => reply(200, '<p>hello</p>', { 'content-type': 'text/html; charset=utf-8' }));
    // @ts-expect-error an answer must come from reply()
    endpoint(thingRoute, async () => ({ status: 201, body: { id: 'a', seats: 4, note: null } }));
  }

  it('answers what reply() was given, as JSON', async () => {
    const handler = endpoint(thingRoute, async (_request, reply) => reply(201, { id: 'a', seats: 4, note: null }, { location: '/things/a/' }));
    const answer = await handler(apiEvent({ method: 'POST', path: '/api/v1/test/things/' }), lambdaContext('test-things'));
    expect(answer.statusCode).toBe(201);
    expect(answer.headers).toMatchObject({ location: '/things/a/', 'content-type': 'application/json; charset=utf-8' });
    expect(JSON.parse(answer.body!)).toEqual({ id: 'a', seats: 4, note: null });
    expect(refused).toBeTypeOf('function');
  });
});
