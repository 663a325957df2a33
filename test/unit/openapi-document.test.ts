import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import * as coreErrors from '#core/errors';
import { DomainError } from '#core/errors';
import { PAYMENT_EVENT_OUTCOMES } from '#core/payments/webhook';
import { decodeSortCursor, sortKeys } from '#core/search/ordering';
import { EmailNotVerified } from '#platform/auth';
import { endpoint } from '#platform/http';
import { buildOpenApiDocument, operationIdOf } from '#platform/openapi';
import { EXAMPLE_IDS, EXAMPLE_SCOOTER, operationExamples } from '#platform/openapi-examples';
import { problemType } from '#platform/problem';
import { PROBLEM_TYPES } from '#platform/problem-types';
import { API_PREFIX, defineRoute, type RouteDefinition } from '#platform/route';
import { matchRoute } from '#platform/router';
import { IsoDate, queryInteger } from '#platform/schemas';
import { routes } from '#routes';
import { handler as getProblem } from '#functions/api/service/get-problem';
import { apiEvent, lambdaContext } from '../helpers/events';

const NOW = new Date('2027-03-01T05:00:00Z');
const document = buildOpenApiDocument(NOW) as any;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Operation {
  route: RouteDefinition;
  operation: any;
}

const operations: Operation[] = routes.map((route) => ({
  route,
  operation: document.paths[API_PREFIX + route.path][route.method.toLowerCase()],
}));

const parameter = (route: RouteDefinition, name: string) => {
  const { operation } = operations.find((entry) => entry.route === route)!;
  return (operation.parameters ?? []).find((candidate: any) => candidate.name === name);
};
const routeOf = (method: string, routePath: string) => routes.find((route) => route.method === method && route.path === routePath)!;

describe('the OpenAPI document', () => {
  it('names every operation uniquely, and describes it', () => {
    const ids = operations.map(({ operation }) => operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(operationIdOf(routeOf('POST', '/bookings/'))).toBe('createBooking');
    for (const { route, operation } of operations) {
      expect(operation.operationId, route.handler).toBe(operationIdOf(route));
      expect(operation.operationId, route.handler).toMatch(/^[a-z][A-Za-z0-9]+$/);
      expect(operation.description, route.handler).toEqual(expect.any(String));
      expect(operation.summary.length, `${route.handler}: a summary is one line; the rest goes in description`).toBeLessThanOrEqual(80);
    }
  });

  it('names each operation with a verb phrase saying what it does, as a generated client calls it', () => {
    const verbs = [
      'get',
      'list',
      'search',
      'create',
      'update',
      'delete',
      'cancel',
      'confirm',
      'register',
      'verify',
      'resend',
      'sign',
      'refresh',
      'request',
      'receive',
      'reply',
    ];
    const verbPhrase = new RegExp(`^(${verbs.join('|')})[A-Z]`);
    for (const { route, operation } of operations) expect(operation.operationId, `${route.method} ${route.path}`).toMatch(verbPhrase);
    const idOf = (method: string, routePath: string) => operationIdOf(routeOf(method, routePath));
    expect(idOf('POST', '/auth/token/')).toBe('signIn');
    expect(idOf('POST', '/auth/token/refresh/')).toBe('refreshTokens');
    expect(idOf('GET', '/me/')).toBe('getMe');
    expect(idOf('GET', '/agency/cars/')).toBe('listAgencyCars');
    expect(idOf('POST', '/agency/phone/verification/')).toBe('requestPhoneCode');
    expect(idOf('POST', '/agency/phone/verify/')).toBe('verifyPhone');
    expect(idOf('GET', '/agency/bookings/')).toBe('listAgencyBookings');
  });

  it('asks for a token exactly where the route needs one, and says so with security: [] elsewhere', () => {
    for (const { route, operation } of operations) {
      const open = route.access === 'public' || route.access === 'stripe';
      expect(operation.security, route.handler).toEqual(open ? [] : [{ cognito: [] }]);
    }
  });

  it('declares the request headers: Idempotency-Key on POST /bookings/, Stripe-Signature and the event body on the webhook', () => {
    expect(parameter(routeOf('POST', '/bookings/'), 'Idempotency-Key')).toMatchObject({ in: 'header', required: true, schema: { type: 'string' } });
    const webhook = routeOf('POST', '/payments/webhook/');
    expect(parameter(webhook, 'Stripe-Signature')).toMatchObject({ in: 'header', required: true });
    const body = operations.find((entry) => entry.route === webhook)!.operation.requestBody;
    expect(body.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/StripeEvent' });
    expect(document.components.schemas.StripeEvent.required).toEqual(expect.arrayContaining(['id', 'type', 'data']));
  });

  it('documents the response headers: Location and Idempotent-Replayed on a booking, x-request-id on every answer', () => {
    const created = operations.find((entry) => entry.route === routeOf('POST', '/bookings/'))!.operation.responses[201];
    expect(Object.keys(created.headers)).toEqual(expect.arrayContaining(['Location', 'Idempotent-Replayed', 'x-request-id']));
    expect(document.components.headers.Location.required).toBe(true);
    for (const { route, operation } of operations) {
      for (const [status, response] of Object.entries<any>(operation.responses)) {
        const resolved = response.$ref ? document.components.responses[response.$ref.split('/').at(-1)] : response;
        const header = (name: string) => {
          const found = resolved.headers?.[name];
          return found?.$ref ? document.components.headers[found.$ref.split('/').at(-1)] : found;
        };
        // Always sent by this API, so required; only API Gateway's own throttling 429 lacks it.
        expect(header('x-request-id')?.required, `${route.handler} ${status}`).toBe(status !== '429');
        if (status === '429' || status === '503') expect(header('Retry-After'), `${route.handler} ${status}`).toBeDefined();
        if (status === '503') expect(header('Retry-After').required, `${route.handler} ${status}`).toBe(true);
      }
    }
  });

  it('refers to the shared 413, 429 and 503 answers wherever they can occur', () => {
    // The shared answer, or the route's own words with the shared answer's content (and more).
    const expectShared = (response: any, name: string, where: string) => {
      expect(response, where).toBeDefined();
      if (response.$ref) expect(response.$ref, where).toBe(`#/components/responses/${name}`);
      else expect(Object.keys(response.content), where).toEqual(Object.keys(document.components.responses[name].content));
    };
    for (const { route, operation } of operations) {
      const where = `${route.method} ${route.path}`;
      // Any route measures a body before refusing it, GETs included (a body it does not take is a 400 only under the limit).
      expectShared(operation.responses[413], 'PayloadTooLarge', where);
      // The stage's API Gateway throttle and WAF's rate rule answer 429 on any route.
      expectShared(operation.responses[429], 'TooManyRequests', where);
      if (route.database) expect(operation.responses[503], where).toBeDefined();
    }
  });

  it('types numeric query parameters as numbers and dates as format: date', () => {
    const search = routeOf('GET', '/cars/');
    for (const name of ['min_price', 'max_price', 'seats_min', 'limit']) expect(parameter(search, name).schema.type, name).toBe('integer');
    expect(parameter(search, 'radius_km').schema.type).toBe('number');
    for (const name of ['start_date', 'end_date']) expect(parameter(search, name).schema).toMatchObject({ type: 'string', format: 'date' });
    const agencyBookings = routeOf('GET', '/agency/bookings/');
    for (const name of ['from', 'to']) expect(parameter(agencyBookings, name).schema).toMatchObject({ type: 'string', format: 'date' });
    expect(document.components.schemas.CreateBookingRequest.properties.start_date).toMatchObject({ type: 'string', format: 'date' });
  });

  it('gives every body, path parameter and success answer an example that its route’s schema accepts', () => {
    const examples = operationExamples(NOW);
    expect(
      Object.keys(examples).filter((id) => !routes.some((route) => operationIdOf(route) === id)),
      'examples of no operation',
    ).toEqual([]);
    for (const route of routes) {
      const id = operationIdOf(route);
      const example = examples[id] ?? {};
      const bodySchema = route.body ?? route.rawBodySchema;
      if (bodySchema) {
        expect(example.body, `${id}: body example`).toBeDefined();
        expect(bodySchema.safeParse(example.body).error?.issues, `${id}: body example`).toBeUndefined();
      }
      for (const name of route.path.matchAll(/\{(\w+)\}/g)) expect(example.params?.[name[1]!], `${id}: ${name[1]} example`).toBeDefined();
      if (route.params) expect(route.params.safeParse(example.params).error?.issues, `${id}: params example`).toBeUndefined();
      if (route.query && example.query) {
        // As a URL carries them: text.
        const asSent = Object.fromEntries(Object.entries(example.query).map(([name, value]) => [name, String(value)]));
        expect(route.query.safeParse(asSent).error?.issues, `${id}: query example`).toBeUndefined();
      }
      for (const [status, spec] of Object.entries(route.responses)) {
        if (!spec.schema) continue;
        expect(example.responses?.[Number(status)], `${id}: ${status} example`).toBeDefined();
        expect(spec.schema.safeParse(example.responses![Number(status)]).error?.issues, `${id}: ${status} example`).toBeUndefined();
      }
    }
  });

  it('shows the next_cursor the search really gives, which the search accepts back', () => {
    const search = operationExamples(NOW).searchCars!;
    const ordering = search.query!.ordering as 'price';
    const nextCursor = (search.responses![200] as { next_cursor: string }).next_cursor;
    const keys = sortKeys(ordering, undefined);
    // The price of the example's 3-day stay (the scooter has one rate all year): the key search orders by.
    expect(decodeSortCursor(nextCursor, ordering, keys)).toEqual([3 * EXAMPLE_SCOOTER.daily_rate, EXAMPLE_IDS.scooter]);
    // A page of `limit` results followed by a next page.
    expect((search.responses![200] as { results: unknown[] }).results).toHaveLength(Number(search.query!.limit));
  });

  it('shows the review replyToReview answers as not replied to before it', () => {
    const examples = operationExamples(NOW);
    const reviewId = examples.replyToReview!.params!.review_id;
    const listed = (examples.listAgencyReviews!.responses![200] as { results: { id: string; reply: string | null; replied_at: string | null }[] }).results;
    expect(listed.find((review) => review.id === reviewId)).toMatchObject({ reply: null, replied_at: null });
  });

  it('lists the webhook’s outcomes, as core has them', () => {
    const schema = operations.find((entry) => entry.route === routeOf('POST', '/payments/webhook/'))!.operation.responses[200].content['application/json']
      .schema;
    expect(schema.properties.outcome.enum).toEqual([...PAYMENT_EVENT_OUTCOMES]);
  });

  it('dates its examples from today in Bangkok', () => {
    const search = operationExamples(new Date('2027-03-01T18:00:00Z')).searchCars!;
    // 18:00 UTC is already 2 March in Bangkok.
    expect(search.query).toMatchObject({ start_date: '2027-03-16', end_date: '2027-03-18' });
  });
});

describe('problem types', () => {
  const sourceFiles = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? sourceFiles(path.join(dir, entry.name)) : entry.name.endsWith('.ts') ? [path.join(dir, entry.name)] : [],
    );

  it('has an entry for every slug the code can answer', () => {
    const slugs = new Set<string>();
    // lib/: WAF answers a problem of its own.
    for (const file of [...sourceFiles(path.join(ROOT, 'functions')), ...sourceFiles(path.join(ROOT, 'lib')), path.join(ROOT, 'dev/local-server.ts')]) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/readonly slug(?::\s*string)?\s*=\s*'([^']+)'/g)) slugs.add(match[1]!);
      for (const match of text.matchAll(/problemType\('([^']+)'\)/g)) slugs.add(match[1]!);
      for (const match of text.matchAll(/ownProblem\(response, \d+, '([^']+)'/g)) slugs.add(match[1]!);
    }
    expect(slugs.size).toBeGreaterThan(10);
    expect([...slugs].filter((slug) => !(slug in PROBLEM_TYPES))).toEqual([]);
  });

  it('states each DomainError’s own status and title', () => {
    const exported: unknown[] = [...Object.values(coreErrors), EmailNotVerified];
    const classes = exported.filter(
      (value): value is new (...args: any[]) => DomainError => typeof value === 'function' && value.prototype instanceof DomainError,
    );
    expect(classes.length).toBeGreaterThan(10);
    for (const ErrorClass of classes) {
      const error = new ErrorClass(['GET'], 1);
      expect(PROBLEM_TYPES[error.slug as keyof typeof PROBLEM_TYPES], ErrorClass.name).toMatchObject({ status: error.status, title: error.title });
    }
  });

  it('are paths the API serves, each answering a page saying what it means and what to do', async () => {
    expect(problemType('dates-not-available')).toBe('/api/v1/problems/dates-not-available/');
    for (const [slug, info] of Object.entries(PROBLEM_TYPES)) {
      const uri = problemType(slug);
      const match = matchRoute('GET', uri);
      expect(match.kind, uri).toBe('found');
      if (match.kind !== 'found') continue;
      const answer = await getProblem(apiEvent({ method: 'GET', path: uri, pathParameters: match.params }), lambdaContext());
      expect(answer.statusCode, uri).toBe(200);
      expect(answer.headers?.['content-type']).toMatch(/^text\/html/);
      expect(answer.body).toContain(`<strong>${info.status}</strong>`);
      expect(answer.body).toContain('What to do');
    }
    const unknown = await getProblem(apiEvent({ method: 'GET', path: '/api/v1/problems/nope/', pathParameters: { slug: 'nope' } }), lambdaContext());
    expect(unknown.statusCode).toBe(404);
  });
});

describe('validation messages', () => {
  const route = defineRoute({
    method: 'POST',
    path: '/test/sentences/',
    handler: 'test/sentences',
    access: 'public',
    database: false,
    summary: 'Validation sentences',
    tags: ['Test'],
    query: z.object({ seats: queryInteger(1, 9).optional() }),
    body: z.strictObject({
      start_date: IsoDate,
      name: z.string(),
      kind: z.enum(['car', 'scooter']),
      custom: z.string().min(3, 'needs three letters').optional(),
    }),
    responses: { 204: { description: 'Valid' } },
  });
  const handler = endpoint(route, async (_request, reply) => reply(204));
  const errorsOf = async (body: unknown, query?: Record<string, string>) => {
    const answer = await handler(
      apiEvent({ method: 'POST', path: '/api/v1/test/sentences/', body: JSON.stringify(body), ...(query ? { query } : {}) }),
      lambdaContext(),
    );
    expect(answer.statusCode).toBe(400);
    return JSON.parse(answer.body!).errors;
  };

  it('read as sentences, not zod’s wording', async () => {
    expect(await errorsOf({ start_date: '2027-03-10', name: 'x', kind: 'car' }, { seats: 'two' })).toEqual([
      { path: 'seats', message: 'must be a whole number' },
    ]);
    expect(await errorsOf({ name: 5, kind: 'boat', custom: 'ab' })).toEqual(
      expect.arrayContaining([
        { path: 'start_date', message: 'is required' },
        { path: 'name', message: 'must be a string' },
        { path: 'kind', message: 'must be one of "car", "scooter"' },
        { path: 'custom', message: 'needs three letters' },
      ]),
    );
    expect(await errorsOf({ start_date: '2027-02-30', name: 'x', kind: 'car' })).toEqual([{ path: 'start_date', message: 'is not a calendar date' }]);
  });
});
