import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import fc from 'fast-check';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { routes } from '#routes';
import { getDb } from '#platform/db';
import { routeKey, type RouteDefinition } from '#platform/route';
import { createUser, uniqueEmail, type TestUser } from '../helpers/auth';
import { addImage, createBlock, createCar, inDays } from '../helpers/catalog';
import { carBody } from '../helpers/cars';
import { apiEvent, lambdaContext } from '../helpers/events';
import { insertBookingRow } from '../helpers/rentals';

/**
 * No input, however odd, gets a 5xx (bad input is a 4xx). For EVERY route of the route
 * table, hostile variants are derived from the route's own zod schemas (through their JSON
 * Schema): each field of its params, query and body gets NUL characters, lone surrogates,
 * huge strings, wrong types, numbers out of range, unknown fields, forged cursors; whole
 * bodies come malformed, as invalid UTF-8, nested deep or too large. They go through the real
 * handler modules on this file's real database, with a valid token for the route's access.
 * Every variant must be refused with a 4xx problem+json (never a 5xx, never a success), and
 * the database must be unchanged afterwards.
 *
 * The systematic variants always run; fast-check adds FC_RUNS random ones per route
 * (combinations of fields, random strings around the hostile characters) with a fixed seed.
 */
const FC_RUNS = Number(process.env.FC_RUNS ?? 15);
const FC_SEED = Number(process.env.FC_SEED ?? 20261203);

const FUNCTIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../functions');

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;
type Part = 'params' | 'query' | 'body';

interface BaseRequest {
  params: Record<string, string>;
  query: Record<string, string>;
  body?: unknown;
  headers: Record<string, string>;
}

/** One hostile request: the route's valid baseline with something broken. */
interface Variant {
  label: string;
  params: Record<string, string>;
  query: Record<string, string>;
  /** A JSON value to encode, or the exact raw body. */
  body?: { json: unknown } | { raw: string; base64?: boolean };
  headers: Record<string, string>;
  /**
   * `refused`: a 4xx problem (the norm). `no-5xx`: a random cursor may by chance be one the
   * endpoint could have issued, and then a 200 is right; it must still never be a 5xx.
   */
  expect: 'refused' | 'no-5xx';
  /** The field the 400 must name in its `errors`, when one field is broken. */
  names?: string;
}

interface World {
  customer: TestUser;
  agencyAdmin: TestUser;
  agencyId: string;
  carId: string;
  imageId: string;
  blockId: string;
  bookingId: string;
}

let world: World;

beforeAll(async () => {
  const [customer, agencyAdmin] = await Promise.all([createUser('customer'), createUser('agency_admin')]);
  const agencyId = agencyAdmin.agency!.id;
  const car = await createCar(agencyId);
  await addImage(car.id, 0, 'pending');
  const image = await getDb().selectFrom('car_images').select('id').where('car_id', '=', car.id).executeTakeFirstOrThrow();
  const block = await createBlock(car.id, inDays(60), inDays(61));
  const bookingId = await insertBookingRow({ carId: car.id, customerId: customer.user.id, status: 'confirmed', start: inDays(20), end: inDays(22) });
  world = { customer, agencyAdmin, agencyId, carId: car.id, imageId: image.id, blockId: block.id, bookingId };
}, 60_000);

/**
 * A valid request for each route, so that a variant breaking one field is otherwise valid and
 * its hostile value is what reaches validation (and, were validation to miss it, the database).
 * Routes not listed get a random UUID per path parameter and nothing else; a route whose
 * schemas refuse that fails the coverage test below until it gets a baseline here.
 */
function baseline(route: RouteDefinition): BaseRequest {
  const carParams = { id: world.carId };
  const bookingParams = { id: world.bookingId };
  const dates = { start_date: inDays(30), end_date: inDays(32) };
  const fallbackParams = Object.fromEntries([...route.path.matchAll(/\{(\w+)\}/g)].map((match) => [match[1]!, randomUUID()]));
  const given: Partial<BaseRequest> =
    (
      {
        'GET /docs/assets/{file}': { params: { file: 'swagger-ui.css' } },
        'GET /problems/{slug}/': { params: { slug: 'dates-not-available' } },
        'POST /auth/register/': {
          body: {
            email: uniqueEmail('fuzz'),
            password: 'Phuket-2027',
            full_name: 'Fuzz Tester',
            role: 'agency_admin',
            agency: { name: 'Fuzz Rentals', phone: '+66 76 000 001', address: 'Beach Rd 1, Patong', lat: 7.8961, lng: 98.2967 },
          },
        },
        'POST /auth/token/': { body: { email: 'nobody-here@example.com', password: 'Phuket-2027' } },
        'POST /auth/token/refresh/': { body: { refresh_token: 'not-a-refresh-token' } },
        'POST /auth/verify/': { body: { email: 'nobody-here@example.com', code: '123456' } },
        'POST /auth/verify/resend/': { body: { email: 'nobody-here@example.com' } },
        'POST /agency/phone/verify/': { body: { code: '123456' } },
        'POST /agency/cars/': { body: carBody({ description: 'A fine car', pickup_address: 'Patong', lat: 7.9, lng: 98.3 }) },
        'GET /agency/cars/{id}/': { params: carParams },
        'PATCH /agency/cars/{id}/': { params: carParams, body: { make: 'Honda', description: 'Fresh tyres' } },
        'DELETE /agency/cars/{id}/': { params: carParams },
        'POST /agency/cars/{id}/images/': { params: carParams, body: { content_type: 'image/jpeg', content_length: 1000 } },
        'POST /agency/cars/{id}/images/{image_id}/confirm/': { params: { id: world.carId, image_id: world.imageId } },
        'DELETE /agency/cars/{id}/images/{image_id}/': { params: { id: world.carId, image_id: world.imageId } },
        'GET /agency/cars/{id}/seasons/': { params: carParams },
        'PUT /agency/cars/{id}/seasons/': {
          params: carParams,
          body: { seasons: [{ name: 'High season', start_date: inDays(100), end_date: inDays(120), daily_rate: 130_000, min_rental_days: 3 }] },
        },
        'POST /agency/seasons/': {
          body: { car_ids: [world.carId], name: 'Songkran', start_date: inDays(130), end_date: inDays(135), percent_of_base_rate: 120 },
        },
        'PUT /agency/opening-hours/': { body: { hours: [{ weekday: 1, opens: '08:00', closes: '20:00' }], after_hours_fee: 30_000 } },
        'PUT /agency/delivery/': { body: { options: [{ landmark: 'phuket-airport', fee: 60_000 }] } },
        'GET /cars/': {
          query: { ...dates, landmark: 'patong-beach', radius_km: '5', car_type: 'economy', min_price: '1', max_price: '900000', seats_min: '2' },
        },
        'GET /cars/{id}/': { params: carParams, query: dates },
        'GET /agencies/{id}/': { params: { id: world.agencyId } },
        'GET /agencies/{id}/reviews/': { params: { id: world.agencyId } },
        'POST /agencies/{id}/reviews/{review_id}/reply/': { params: { id: world.agencyId, review_id: randomUUID() }, body: { reply: 'Thank you!' } },
        'POST /bookings/': { body: { car_id: world.carId, ...dates }, headers: { 'idempotency-key': randomUUID() } },
        'GET /bookings/{id}/': { params: bookingParams },
        'POST /bookings/{id}/cancel/': { params: bookingParams },
        'POST /bookings/{id}/review/': { params: bookingParams, body: { rating: 5, comment: 'Great scooter' } },
        'GET /agency/bookings/': { query: { status: 'confirmed', car_id: world.carId, from: inDays(0), to: inDays(90) } },
        'PATCH /agency/bookings/{id}/': { params: bookingParams, body: { status: 'cancelled' } },
        'POST /agency/cars/{id}/blocks/': { params: carParams, body: { start_date: inDays(70), end_date: inDays(71), reason: 'Service' } },
        'GET /agency/cars/{id}/blocks/': { params: carParams },
        'DELETE /agency/cars/{id}/blocks/{block_id}/': { params: { id: world.carId, block_id: world.blockId } },
      } as Record<string, Partial<BaseRequest>>
    )[routeKey(route)] ?? {};
  return {
    params: given.params ?? fallbackParams,
    query: given.query ?? {},
    ...(given.body !== undefined ? { body: given.body } : {}),
    headers: { 'content-type': 'application/json', ...tokenHeader(route), ...given.headers },
  };
}

function tokenHeader(route: RouteDefinition): Record<string, string> {
  switch (route.access) {
    case 'customer':
    case 'signed-in':
      return { authorization: `Bearer ${world.customer.token}` };
    case 'agency_admin':
      return { authorization: `Bearer ${world.agencyAdmin.token}` };
    default:
      return {};
  }
}

// ---------------------------------------------------------------- fields from the schemas

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
}

interface Field {
  part: Part;
  /** Where the field sits in the part, e.g. ['agency', 'name']. */
  path: string[];
  kind: 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'array' | 'unknown';
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  enumValues?: unknown[];
}

function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
}

function resolve(schema: JsonSchema, root: JsonSchema): JsonSchema {
  if (schema.$ref?.startsWith('#/$defs/')) return resolve(root.$defs![schema.$ref.slice('#/$defs/'.length)]!, root);
  const alternatives = (schema.anyOf ?? schema.oneOf)?.filter((alternative) => alternative.type !== 'null');
  if (alternatives?.length === 1) return resolve(alternatives[0]!, root);
  return schema;
}

function fieldsOf(part: Part, schema: JsonSchema, root: JsonSchema, prefix: string[] = []): Field[] {
  const resolved = resolve(schema, root);
  const fields: Field[] = [];
  for (const [name, property] of Object.entries(resolved.properties ?? {})) {
    const field = resolve(property, root);
    const type = Array.isArray(field.type) ? field.type.find((t) => t !== 'null') : field.type;
    const kind: Field['kind'] = field.enum || typeof field.const === 'string' ? 'string' : ((type as Field['kind']) ?? 'unknown');
    fields.push({
      part,
      path: [...prefix, name],
      kind,
      ...(field.maxLength !== undefined ? { maxLength: field.maxLength } : {}),
      ...(field.minimum !== undefined ? { minimum: field.minimum } : {}),
      ...(field.maximum !== undefined ? { maximum: field.maximum } : {}),
      ...(field.enum ? { enumValues: field.enum } : {}),
    });
    if (kind === 'object') fields.push(...fieldsOf(part, field, root, [...prefix, name]));
  }
  return fields;
}

function routeFields(route: RouteDefinition): Field[] {
  const fields: Field[] = [];
  for (const part of ['params', 'query', 'body'] as const) {
    const schema = route[part];
    if (schema) fields.push(...fieldsOf(part, jsonSchemaOf(schema), jsonSchemaOf(schema)));
  }
  return fields;
}

// ---------------------------------------------------------------- hostile values

const UUID = '6f1c1d0e-5a8b-4c3d-9e2f-1a2b3c4d5e6f';
const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Cursors no endpoint issued: each must be a 400 on every paginated route. */
const FORGED_CURSORS: string[] = [
  cursorOf(['2026-01-01 00:00 Foo/Bar', UUID]),
  cursorOf(['\u0000', UUID]),
  cursorOf(['2026-01-01T00:00:00.000Z', '\u0000']),
  cursorOf(['2026-01-01T00:00:00.000Z', 'not-a-uuid']),
  cursorOf(['2026-02-30T00:00:00.000Z', UUID]),
  cursorOf(['2026-13-01', UUID]),
  cursorOf(['0000-01-01', UUID]),
  cursorOf(['\ud800', UUID]),
  cursorOf(['x\u0000']),
  cursorOf(['price', 99_999_999_999, UUID]),
  cursorOf(['price', 1.5, UUID]),
  cursorOf(['rating', 1e308, 1e308, UUID, 1, UUID]),
  cursorOf(['distance', -1e308, '\u0000']),
  cursorOf([null, null]),
  cursorOf([[], {}]),
  cursorOf({ after: UUID }),
  cursorOf('x'.repeat(300)),
  Buffer.from('not json at all').toString('base64url'),
  '%%%',
  '\u0000',
  '\ud800',
];

/** Strings hostile to a text column or a parser: the characters PostgreSQL cannot store faithfully. */
const BAD_STRINGS = ['a\u0000b', '\u0000', 'x\ud800y', '\udfff', 'Honda \ud83d'];

function systematicValues(field: Field): unknown[] {
  const huge = 'x'.repeat(Math.max((field.maxLength ?? 1000) + 1, 1001));
  if (field.part !== 'body') {
    // Path and query values are always strings.
    const values = [...BAD_STRINGS, huge, '', ' ', '1e999', '-1', 'NaN', 'Infinity', '9'.repeat(400), '[]', '{"a":1}'];
    return field.path.at(-1) === 'cursor' ? [...values, ...FORGED_CURSORS] : values;
  }
  const wrongTypes = [[], {}, ['\u0000'], { '\u0000': 1 }];
  switch (field.kind) {
    case 'string':
      return [...BAD_STRINGS, huge, 12, true, null, ...wrongTypes, ...(field.enumValues ?? []).slice(0, 1).map((value) => `${String(value)}\u0000`)];
    case 'integer':
    case 'number':
      return ['1', '\u0000', true, null, 1.5, 1e300, -1e300, (field.maximum ?? 2 ** 31) + 1, (field.minimum ?? -(2 ** 31)) - 1, ...wrongTypes];
    case 'boolean':
      return ['true', 1, null, '\u0000', ...wrongTypes];
    default:
      return [...BAD_STRINGS, 12, null, ...wrongTypes];
  }
}

/** Random hostile values for a field, around the same themes. */
function randomValue(field: Field): fc.Arbitrary<unknown> {
  const around = (inner: fc.Arbitrary<string>) => fc.tuple(fc.string({ maxLength: 20 }), inner, fc.string({ maxLength: 20 })).map(([a, b, c]) => a + b + c);
  const nul = around(fc.constant('\u0000'));
  const lone = around(fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code)));
  const huge = fc.integer({ min: (field.maxLength ?? 1000) + 1, max: 80_000 }).map((length) => 'é'.repeat(length));
  const forged = fc.array(fc.oneof(fc.string(), fc.double(), fc.integer(), fc.constant(null), fc.uuid(), nul), { maxLength: 7 }).map(cursorOf);
  const strings = fc.oneof(nul, lone, huge, fc.string({ unit: 'binary', maxLength: 40 }));
  if (field.part !== 'body') return field.path.at(-1) === 'cursor' ? fc.oneof(strings, forged) : strings;
  return fc.oneof(strings, fc.double(), fc.integer(), fc.boolean(), fc.constant(null), fc.anything({ maxDepth: 2 }));
}

// ---------------------------------------------------------------- variants

function withValue(container: unknown, fieldPath: string[], value: unknown): unknown {
  const [head, ...rest] = fieldPath;
  const object = typeof container === 'object' && container !== null && !Array.isArray(container) ? { ...container } : {};
  const current = Object.hasOwn(object, head!) ? (object as Record<string, unknown>)[head!] : undefined;
  // An own property even for "__proto__", as JSON.parse makes it on the server.
  Object.defineProperty(object, head!, {
    value: rest.length === 0 ? value : withValue(current, rest, value),
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return object;
}

function variantFrom(
  base: BaseRequest,
  label: string,
  changes: { field: Field; value: unknown }[],
  expectation: Pick<Variant, 'expect' | 'names'> = { expect: 'refused' },
): Variant {
  let params: unknown = base.params;
  let query: unknown = base.query;
  let body: unknown = base.body;
  for (const { field, value } of changes) {
    if (field.part === 'params') params = withValue(params, field.path, value);
    else if (field.part === 'query') query = withValue(query, field.path, value);
    else body = withValue(body, field.path, value);
  }
  return {
    label,
    params: params as Record<string, string>,
    query: query as Record<string, string>,
    ...(body !== undefined ? { body: { json: body } } : {}),
    headers: base.headers,
    ...expectation,
  };
}

// eslint-disable-next-line no-control-regex -- NUL is one of the characters looked for
const HAS_BAD_CHARACTERS = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function hasBadCharacters(value: unknown): boolean {
  if (typeof value === 'string') return HAS_BAD_CHARACTERS.test(value);
  if (Array.isArray(value)) return value.some(hasBadCharacters);
  if (typeof value === 'object' && value !== null) return Object.entries(value).some(([key, item]) => hasBadCharacters(key) || hasBadCharacters(item));
  return false;
}

/**
 * Whether a variant is truly hostile: some part it sends the route validates refuses it
 * (by its schema, by carrying NUL or a lone surrogate, or by breaking the body or a header).
 * A random value may by chance be valid (say, any string for a free-text field): not hostile.
 */
function isHostile(route: RouteDefinition, variant: Variant): boolean {
  const parts: [z.ZodType | undefined, unknown][] = [
    [route.params, variant.params],
    [route.query, variant.query],
    [route.body, variant.body && 'json' in variant.body ? variant.body.json : undefined],
  ];
  return parts.some(([schema, value]) => schema !== undefined && (hasBadCharacters(value) || !schema.safeParse(value).success));
}

function systematicVariants(route: RouteDefinition, base: BaseRequest): Variant[] {
  const variants: Variant[] = [];
  const fields = routeFields(route);
  for (const field of fields) {
    const names = field.path.join('.');
    for (const value of systematicValues(field)) {
      // A forged cursor passes the query schema (any short string): the endpoint must refuse it.
      const forged = FORGED_CURSORS.includes(value as string);
      // NUL, lone surrogates and forged cursors must be caught by name (schema or cursor check),
      // not by the database's backstop; other breakage is the route schema's to name.
      const expectation = forged || hasBadCharacters(value) ? { expect: 'refused' as const, names } : { expect: 'refused' as const };
      const variant = variantFrom(base, `${field.part}.${names} = ${show(value)}`, [{ field, value }], expectation);
      if (forged || isHostile(route, variant)) variants.push(variant);
    }
  }
  // Unknown fields, where the route validates the part strictly.
  for (const part of ['query', 'body'] as const) {
    if (!route[part]) continue;
    for (const name of ['unknown_field', '\u0000', '__proto__', 'constructor', 'x\ud800']) {
      const variant = variantFrom(base, `${part} + unknown field ${show(name)}`, [
        { field: { part, path: [name], kind: 'unknown' }, value: part === 'query' ? '1' : { a: 1 } },
      ]);
      if (isHostile(route, variant)) variants.push(variant);
    }
  }
  variants.push(...bodyVariants(route, base));
  variants.push(...headerVariants(route, base));
  return variants;
}

/** Whole bodies that are not what the route reads. Every route gets them: those without a body refuse any. */
function bodyVariants(route: RouteDefinition, base: BaseRequest): Variant[] {
  const invalidUtf8 = Buffer.concat([Buffer.from('{"make":"'), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80]), Buffer.from('"}')]);
  const raws: { label: string; raw: string; base64?: boolean }[] = [
    { label: 'malformed JSON', raw: '{"a":' },
    { label: 'JSON with a raw NUL', raw: '{"x":"a\u0000b"}' },
    { label: 'JSON with an escaped NUL', raw: '{"x":"a\\u0000b"}' },
    { label: 'JSON with an escaped lone surrogate', raw: '{"x":"\\ud800"}' },
    { label: 'a JSON array', raw: '[1,2,3]' },
    { label: 'a JSON string', raw: '"\\u0000"' },
    { label: 'JSON null', raw: 'null' },
    { label: 'a huge number', raw: '1e999' },
    { label: 'a byte-order mark', raw: '\ufeff{}x' },
    { label: 'deep nesting', raw: '['.repeat(20_000) + ']'.repeat(20_000) },
    { label: 'deep object nesting', raw: '{"a":'.repeat(5_000) + '1' + '}'.repeat(5_000) },
    { label: 'invalid UTF-8 (base64)', raw: invalidUtf8.toString('base64'), base64: true },
    { label: 'a body over every limit', raw: JSON.stringify({ x: 'y'.repeat(600 * 1024) }) },
  ];
  return raws.map(({ label, raw, base64 }) => ({
    label: `body: ${label}`,
    params: base.params,
    query: base.query,
    body: { raw, ...(base64 ? { base64 } : {}) },
    headers: base.headers,
    expect: 'refused',
  }));
}

function headerVariants(route: RouteDefinition, base: BaseRequest): Variant[] {
  const variants: Variant[] = [];
  const plain = (label: string, headers: Record<string, string>): Variant => ({
    label,
    params: base.params,
    query: base.query,
    ...(base.body !== undefined ? { body: { json: base.body } } : {}),
    headers,
    expect: 'refused',
  });
  if (base.headers.authorization) {
    for (const value of ['Bearer \u0000', `Bearer ${'a'.repeat(10_000)}`, 'Bearer x\ud800', `Basic ${Buffer.from('a:b').toString('base64')}`]) {
      variants.push(plain(`authorization ${show(value)}`, { ...base.headers, authorization: value }));
    }
  }
  if ('idempotency-key' in base.headers) {
    for (const value of ['\u0000', 'key\ud800', 'ключ', 'k'.repeat(256), '', ' ']) {
      variants.push(plain(`idempotency-key ${show(value)}`, { ...base.headers, 'idempotency-key': value }));
    }
  }
  if (route.access === 'stripe') {
    for (const value of ['\u0000', 't=1,v1=deadbeef', `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}`]) {
      variants.push(plain(`stripe-signature ${show(value)}`, { ...base.headers, 'stripe-signature': value }));
    }
  }
  return variants;
}

function randomVariant(route: RouteDefinition, base: BaseRequest): fc.Arbitrary<Variant> {
  const fields = routeFields(route);
  if (fields.length === 0) return fc.constantFrom(...bodyVariants(route, base));
  const change = fc.constantFrom(...fields).chain((field) => randomValue(field).map((value) => ({ field, value })));
  return fc
    .array(change, { minLength: 1, maxLength: 3 })
    .map((changes) => {
      const variant = variantFrom(
        base,
        `random: ${changes.map(({ field, value }) => `${field.part}.${field.path.join('.')} = ${show(value)}`).join('; ')}`,
        changes,
      );
      if (isHostile(route, variant)) return variant;
      // Valid by chance: harmless only for a cursor, which may decode to a real position.
      return changes.every(({ field }) => field.path.at(-1) === 'cursor') ? { ...variant, expect: 'no-5xx' as const } : undefined;
    })
    .filter((variant): variant is Variant => variant !== undefined);
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 40)}… (${text.length} chars)` : text;
}

// ---------------------------------------------------------------- sending

const handlers = new Map<string, Promise<Handler>>();

function handlerOf(route: RouteDefinition): Promise<Handler> {
  let loaded = handlers.get(route.handler);
  if (!loaded) {
    loaded = import(path.join(FUNCTIONS_DIR, `${route.handler}.ts`)).then((module: { handler: Handler }) => module.handler);
    handlers.set(route.handler, loaded);
  }
  return loaded;
}

async function send(route: RouteDefinition, variant: Variant): Promise<APIGatewayProxyStructuredResultV2> {
  // The path parameters travel in the event as API Gateway would decode them; rawPath is for show.
  const concretePath = `/api/v1${route.path.replace(/\{(\w+)\}/g, (_, name: string) => String(variant.params[name] ?? '').toWellFormed())}`;
  let body: string | undefined;
  let isBase64Encoded = false;
  if (variant.body && 'json' in variant.body) body = JSON.stringify(variant.body.json);
  else if (variant.body) {
    body = variant.body.raw;
    isBase64Encoded = variant.body.base64 ?? false;
  }
  const event = apiEvent({
    method: route.method,
    path: concretePath,
    headers: variant.headers,
    ...(Object.keys(variant.query).length > 0 ? { query: variant.query } : {}),
    ...(Object.keys(variant.params).length > 0 ? { pathParameters: variant.params } : {}),
    ...(body !== undefined ? { body } : {}),
    isBase64Encoded,
  });
  const handler = await handlerOf(route);
  return handler(event, lambdaContext(route.handler.replaceAll('/', '-')));
}

/**
 * The property: never a 5xx; a refusal is a 4xx RFC 9457 problem, and a 400 for one broken
 * field names that field (so it was validation that caught it, not the database's backstop).
 */
function expectRefused(route: RouteDefinition, variant: Variant, result: APIGatewayProxyStructuredResultV2): void {
  const status = result.statusCode ?? 200;
  const where = `${routeKey(route)} with ${variant.label} → ${status} ${result.body?.slice(0, 300)}`;
  expect(status, where).toBeLessThan(500);
  if (variant.expect === 'no-5xx' && status < 400) return;
  expect(status, where).toBeGreaterThanOrEqual(400);
  expect(result.headers?.['content-type'], where).toBe('application/problem+json');
  expect(result.headers?.['cache-control'], where).toBe('no-store');
  const problem = JSON.parse(result.body ?? '') as { errors?: { path: string }[] };
  expect(problem, where).toMatchObject({ type: expect.any(String), title: expect.any(String), status, detail: expect.any(String) });
  if (variant.names !== undefined) {
    // The caller is verified and entitled, so nothing but validation stands before this 400.
    expect(status, where).toBe(400);
    // A bad value inside a list field is named by its item (`seasons.0` for `seasons`).
    expect(
      problem.errors?.map((error) => error.path).some((path) => path === variant.names || path.startsWith(`${variant.names}.`)),
      where,
    ).toBe(true);
  }
}

/** Every row of every table of the application, as one digest: a refused request changes none. */
async function databaseDigest(): Promise<string> {
  const { rows: tables } = await sql<{ name: string }>`
    SELECT quote_ident(table_name) AS name FROM information_schema.tables
    WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`.execute(getDb());
  const digests: string[] = [];
  for (const { name } of tables) {
    const { rows } = await sql<{ digest: string | null }>`SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS digest FROM ${sql.raw(name)} t`.execute(
      getDb(),
    );
    digests.push(`${name}:${rows[0]?.digest}`);
  }
  return digests.join('\n');
}

// ---------------------------------------------------------------- the tests

describe('every route of the route table refuses hostile input with a 4xx problem, never a 5xx', () => {
  it('covers every route: each has a handler and a valid baseline request its schemas accept', async () => {
    expect(routes.length).toBeGreaterThan(30);
    for (const route of routes) {
      expect(typeof (await handlerOf(route)), routeKey(route)).toBe('function');
      const base = baseline(route);
      for (const [schema, value] of [
        [route.params, base.params],
        [route.query, base.query],
        [route.body, base.body],
      ] as const) {
        if (schema) expect(schema.safeParse(value).success, `${routeKey(route)}: add a valid baseline request to fuzz-every-route.test.ts`).toBe(true);
      }
      expect(systematicVariants(route, base).length, routeKey(route)).toBeGreaterThan(0);
    }
  });

  it('answers every GET of the table with the caching its access allows: public reads a public max-age, the rest no-store', async () => {
    for (const route of routes.filter((candidate) => candidate.method === 'GET')) {
      const base = baseline(route);
      const result = await send(route, { label: 'its baseline', params: base.params, query: base.query, headers: base.headers, expect: 'no-5xx' });
      const key = routeKey(route);
      expect(result.statusCode, `${key}: ${result.body?.slice(0, 200)}`).toBe(200);
      if (route.access !== 'public' || key === 'GET /health/') expect(result.headers?.['cache-control'], key).toBe('no-store');
      else expect(result.headers?.['cache-control'], key).toMatch(/^public, max-age=[1-9]\d*$/);
    }
  });

  // One test per entry of THE route table: a route added there is fuzzed here.
  it.each(routes.map((route) => [routeKey(route), route] as const))('%s', async (_key, route) => {
    const base = baseline(route);
    const before = await databaseDigest();
    const examples = systematicVariants(route, base).map((variant) => [variant] as [Variant]);
    await fc.assert(
      fc.asyncProperty(randomVariant(route, base), async (variant) => {
        expectRefused(route, variant, await send(route, variant));
      }),
      // numRuns counts the examples too: every systematic variant runs, then FC_RUNS random ones.
      { seed: FC_SEED, numRuns: examples.length + FC_RUNS, examples, endOnFailure: true },
    );
    expect(await databaseDigest(), `${routeKey(route)}: a refused request changed the database`).toBe(before);
  });
});
