import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smsNumber } from '#core/notifications/outbox';
import { forgetConfig } from '#platform/config';
import { MAX_JSON_BODY_BYTES } from '#platform/body-limits';
import { closeDb, getDb } from '#platform/db';
import { API_PREFIX, routeKey } from '#platform/route';
import { routes } from '#routes';
import { freePort } from '../../dev/ports';
import { useApi, type ApiAnswer, type RequestOptions } from '../helpers/api';
import { createAgencyAdmin, createCustomer, TEST_PASSWORD, uniqueAgency, uniqueEmail, type TestUser } from '../helpers/auth';
import { stripeEvent } from '../helpers/bookings';
import { inDays } from '../helpers/catalog';
import { carBody, createCarFor, putObject, tinyJpeg } from '../helpers/cars';
import { Contract, type ContractAnswer, type KnownMismatch, type OpenApiDocument } from '../helpers/contract';
import { insertBookingRow } from '../helpers/rentals';
import { stripeStandin } from '../helpers/stripe';

/**
 * The contract test (issue 16): every route's REAL answers, successes and problem+json errors,
 * validated against the OpenAPI document the API serves (GET /api/v1/openapi.json) with ajv,
 * through the local server `npm run dev` runs. Each answer is found in the document by method,
 * path template, status and Content-Type; its body must match the schema, read as closed (a
 * field the document does not declare is a finding), and its headers those the document
 * declares. An undeclared status or media type is a finding too. The last test asserts that
 * EVERY operation of the document had a validated success and, where it declares errors, a
 * validated problem+json error: a route added to the table without a case here fails it.
 */

/**
 * Mismatches already reported to the lead (document or API to be fixed). Each is tolerated for
 * its operation and status only; one that no answer shows any more fails the last test, so the
 * list shrinks as they are fixed.
 */
const KNOWN_MISMATCHES: KnownMismatch[] = [];

const api = useApi();
let served: OpenApiDocument;
let contract: Contract;
/** Every answer checked, for the counter-proofs at the end. */
const answers: ContractAnswer[] = [];

beforeAll(async () => {
  served = (await (await fetch(`${api.baseUrl}/api/v1/openapi.json`)).json()) as OpenApiDocument;
  contract = new Contract(served, { known: KNOWN_MISMATCHES });
});

/**
 * Expects the status the scenario leads to, then checks the answer against the document: every
 * finding is reported (softly, so a test lists all of its answers' findings) naming the
 * operation, the status and the body.
 */
function expectConforming(answer: ContractAnswer, expected: number): void {
  expect(answer.status, `${answer.method} ${answer.path} → ${answer.status}: ${answer.text.slice(0, 300)}`).toBe(expected);
  answers.push(answer);
  expect.soft(contract.inspect(answer).findings, `${answer.method} ${answer.path}: the answer does not match the document`).toEqual([]);
}

/** Sends a request (path under /api/v1) through the local server and checks its answer. */
async function call(method: string, path: string, expected: number, options: RequestOptions = {}): Promise<ApiAnswer> {
  const answer = await api.request(method, path, options);
  expectConforming({ method, path: `/api/v1${path}`, status: answer.status, headers: answer.headers, text: answer.text }, expected);
  return answer;
}

/** Like call(), for what fetch() cannot send: a GET with a body. */
async function callWithBody(method: string, path: string, body: string, expected: number): Promise<void> {
  const url = new URL(`${api.baseUrl}/api/v1${path}`);
  const answer = await new Promise<ContractAnswer>((resolve, reject) => {
    const request = http.request(url, { method, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const headers = new Headers();
        for (const [name, value] of Object.entries(response.headers)) if (value !== undefined) headers.set(name, ([] as string[]).concat(value).join(', '));
        resolve({ method, path: url.pathname, status: response.statusCode ?? 0, headers, text: Buffer.concat(chunks).toString('utf8') });
      });
    });
    request.on('error', reject);
    request.end(body);
  });
  expectConforming(answer, expected);
}

const get = (path: string, expected: number, options?: RequestOptions) => call('GET', path, expected, options);
const post = (path: string, body: unknown, expected: number, options?: RequestOptions) => call('POST', path, expected, { ...options, body });
const patch = (path: string, body: unknown, expected: number, options?: RequestOptions) => call('PATCH', path, expected, { ...options, body });
const put = (path: string, body: unknown, expected: number, options?: RequestOptions) => call('PUT', path, expected, { ...options, body });
const del = (path: string, expected: number, options?: RequestOptions) => call('DELETE', path, expected, options);

const UNKNOWN = '00000000-0000-4000-8000-000000000000';

let customer: TestUser;
let agency: TestUser;
let car: { id: string };

beforeAll(async () => {
  [customer, agency] = await Promise.all([createCustomer(), createAgencyAdmin()]);
  car = await createCarFor(api, agency.token, { is_published: true, description: 'Air-conditioned, 2 helmets', pickup_address: 'Thawewong Rd, Patong' });
}, 60_000);

describe('service', () => {
  it('GET /health/: 200', async () => {
    await get('/health/', 200);
  });

  it('GET /openapi.json and GET /docs/ refuse a request body with 400, like every route that takes none', async () => {
    await callWithBody('GET', '/openapi.json', '{"x":1}', 400);
    await callWithBody('GET', '/docs/', '{"x":1}', 400);
  });

  it('a GET refuses a body over the JSON limit with the 413 its operation declares', async () => {
    await callWithBody('GET', '/health/', JSON.stringify({ x: 'x'.repeat(MAX_JSON_BODY_BYTES) }), 413);
  });

  it('GET /openapi.json, GET /docs/ and its assets: 200 with their content types; an unknown asset 404, a name too long 400', async () => {
    const document = await get('/openapi.json', 200);
    expect(document.headers.get('content-type')).toMatch(/^application\/json/);
    const page = await get('/docs/', 200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect((await get('/docs/assets/swagger-ui-bundle.js', 200)).headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await get('/docs/assets/swagger-ui.css', 200)).headers.get('content-type')).toMatch(/^text\/css/);
    await get('/docs/assets/secrets.txt', 404);
    await get(`/docs/assets/${'a'.repeat(101)}`, 400);
  });

  it("GET /problems/{slug}/: 200 the page a problem's type points at; 404 an unknown slug", async () => {
    const problem = await get('/landmarks/?limit=0', 400);
    const type = problem.body.type as string;
    expect(type).toMatch(/^\/api\/v1\/problems\/[\w-]+\/$/);
    const page = await get(type.slice('/api/v1'.length), 200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    await get('/problems/no-such-problem/', 404);
  });
});

describe('auth', () => {
  it('POST /auth/register/: 201 customer and agency admin; 409 the same address again; 400 a weak password', async () => {
    const email = uniqueEmail('contract');
    await post('/auth/register/', { email, password: TEST_PASSWORD, full_name: 'Mali Suksan', role: 'customer' }, 201);
    await post('/auth/register/', { email, password: TEST_PASSWORD, full_name: 'Mali Suksan', role: 'customer' }, 409);
    await post('/auth/register/', { email: uniqueEmail('contract'), password: 'short', full_name: 'Mali Suksan', role: 'customer' }, 400);
    await post(
      '/auth/register/',
      {
        email: uniqueEmail('contract'),
        password: TEST_PASSWORD,
        full_name: 'Nok Admin',
        role: 'agency_admin',
        agency: { ...uniqueAgency('Surin Scooters'), address: 'Surin Beach Rd, Choeng Thale', lat: 7.9757, lng: 98.2789 },
      },
      201,
    );
  });

  it('POST /auth/verify/: 200 with the code sent; 400 a wrong one. POST /auth/verify/resend/: 202; 400 no address', async () => {
    const email = uniqueEmail('contract');
    await post('/auth/register/', { email, password: TEST_PASSWORD, full_name: 'Somchai Kittisak', role: 'customer' }, 201);
    await post('/auth/verify/resend/', { email }, 202);
    await post('/auth/verify/resend/', { email: 'not an address' }, 400);
    // The outbox row holds the code until the e-mail is sent (nothing delivers it in this file).
    const queued = await getDb()
      .selectFrom('notifications')
      .select('payload')
      .where('kind', '=', 'email_verification')
      .where('recipient', '=', email)
      .orderBy('created_at', 'desc')
      .executeTakeFirstOrThrow();
    const code = (queued.payload as { code: string }).code;
    await post('/auth/verify/', { email, code: code === '000000' ? '000001' : '000000' }, 400);
    await post('/auth/verify/', { email, code }, 200);
  });

  it('POST /auth/token/: 200; 401 a wrong password; 400 none. POST /auth/token/refresh/: 200; 401 a forged token', async () => {
    await post('/auth/token/', { email: customer.email, password: TEST_PASSWORD }, 200);
    await post('/auth/token/', { email: customer.email, password: 'Wrong-2027' }, 401);
    await post('/auth/token/', { email: customer.email }, 400);
    await post('/auth/token/refresh/', { refresh_token: customer.refreshToken }, 200);
    await post('/auth/token/refresh/', { refresh_token: 'not-a-refresh-token' }, 401);
  });

  it('GET /me/: 200 a customer and an agency admin; 401 without a token', async () => {
    await get('/me/', 200, { token: customer.token });
    expect((await get('/me/', 200, { token: agency.token })).body.agency).toEqual({ id: agency.agency!.id, name: expect.any(String) });
    await get('/me/', 401);
  });
});

describe('agency inventory', () => {
  it('GET /agency/cars/: 200; 401 without a token; 403 as a customer', async () => {
    await get('/agency/cars/', 200, { token: agency.token });
    await get('/agency/cars/', 401);
    await get('/agency/cars/', 403, { token: customer.token });
  });

  it('POST /agency/cars/: 201; 400 an unknown field', async () => {
    await post('/agency/cars/', carBody({ make: 'Honda', model: 'PCX 160', car_type: 'scooter', seats: 2, lat: 7.8431, lng: 98.2985 }), 201, {
      token: agency.token,
    });
    await post('/agency/cars/', carBody({ colour: 'red' }), 400, { token: agency.token });
  });

  it('GET, PATCH /agency/cars/{id}/: 200; 404 a car not theirs; 400 a bad field', async () => {
    await get(`/agency/cars/${car.id}/`, 200, { token: agency.token });
    await get(`/agency/cars/${UNKNOWN}/`, 404, { token: agency.token });
    await patch(`/agency/cars/${car.id}/`, { description: 'Fresh tyres, 2 helmets' }, 200, { token: agency.token });
    await patch(`/agency/cars/${UNKNOWN}/`, { description: 'x' }, 404, { token: agency.token });
    await patch(`/agency/cars/${car.id}/`, { seats: 0 }, 400, { token: agency.token });
  });

  it('photos: POST …/images/ 201, 415 not an image, 413 too large, 404; confirm 409 before the upload, 200 after; DELETE 204, then 404', async () => {
    const token = agency.token;
    const bytes = tinyJpeg();
    const started = await post(`/agency/cars/${car.id}/images/`, { content_type: 'image/jpeg', content_length: bytes.length }, 201, { token });
    await post(`/agency/cars/${car.id}/images/`, { content_type: 'text/plain', content_length: 10 }, 415, { token });
    await post(`/agency/cars/${car.id}/images/`, { content_type: 'image/jpeg', content_length: 50 * 1024 * 1024 }, 413, { token });
    await post(`/agency/cars/${UNKNOWN}/images/`, { content_type: 'image/jpeg', content_length: 10 }, 404, { token });
    const imageId = started.body.id as string;
    await post(`/agency/cars/${car.id}/images/${imageId}/confirm/`, undefined, 409, { token });
    expect(await putObject(started.body.upload.url, bytes, 'image/jpeg')).toBe(200);
    await post(`/agency/cars/${car.id}/images/${imageId}/confirm/`, undefined, 200, { token });
    await post(`/agency/cars/${car.id}/images/${UNKNOWN}/confirm/`, undefined, 404, { token });
    // The car and its search answers now carry a photo.
    expect((await get(`/agency/cars/${car.id}/`, 200, { token })).body.images).toHaveLength(1);
    await get(`/cars/${car.id}/`, 200);
    const second = await post(`/agency/cars/${car.id}/images/`, { content_type: 'image/png', content_length: 100 }, 201, { token });
    await del(`/agency/cars/${car.id}/images/${second.body.id}/`, 204, { token });
    await del(`/agency/cars/${car.id}/images/${second.body.id}/`, 404, { token });
  });

  it('DELETE /agency/cars/{id}/: 204; 404 unknown; 409 with an upcoming booking', async () => {
    const spare = await createCarFor(api, agency.token);
    await del(`/agency/cars/${spare.id}/`, 204, { token: agency.token });
    await del(`/agency/cars/${spare.id}/`, 404, { token: agency.token });
    const booked = await createCarFor(api, agency.token, { is_published: true });
    await insertBookingRow({ carId: booked.id, customerId: customer.user.id, status: 'confirmed', start: inDays(20), end: inDays(21) });
    await del(`/agency/cars/${booked.id}/`, 409, { token: agency.token });
  });

  it('phone: POST /agency/phone/verification/ 202, 429 again at once; /agency/phone/verify/ 400 a wrong code, 200 the right one; then 409', async () => {
    const admin = await createAgencyAdmin();
    const token = admin.token;
    await post('/agency/phone/verification/', undefined, 202, { token });
    const tooSoon = await post('/agency/phone/verification/', undefined, 429, { token });
    expect(Number(tooSoon.headers.get('retry-after'))).toBeGreaterThan(0);
    const phone = await getDb().selectFrom('agencies').select('phone').where('id', '=', admin.agency!.id).executeTakeFirstOrThrow();
    // SMS is off locally: the outbox row keeps the code texted to the number.
    const queued = await getDb()
      .selectFrom('notifications')
      .select('payload')
      .where('kind', '=', 'phone_verification')
      .where('recipient', '=', smsNumber(phone.phone)!)
      .executeTakeFirstOrThrow();
    const code = (queued.payload as { code: string }).code;
    await post('/agency/phone/verify/', { code: code === '000000' ? '000001' : '000000' }, 400, { token });
    await post('/agency/phone/verify/', { code }, 200, { token });
    await post('/agency/phone/verification/', undefined, 409, { token });
    // A body on a route that takes none is refused, like any unknown field.
    await post('/agency/phone/verification/', { phone: '+66 81 000 0000' }, 400, { token });
  });
});

describe('agency rental terms', () => {
  it('GET, PUT /agency/cars/{id}/seasons/: 200; 400 overlapping seasons; 404 a car not theirs', async () => {
    const token = agency.token;
    // After the days the bookings below take: its minimum would refuse them.
    const season = { name: 'High season', start_date: inDays(100), end_date: inDays(120), daily_rate: 130_000, min_rental_days: 3 };
    await put(`/agency/cars/${car.id}/seasons/`, { seasons: [season] }, 200, { token });
    await get(`/agency/cars/${car.id}/seasons/`, 200, { token });
    await put(`/agency/cars/${car.id}/seasons/`, { seasons: [season, { ...season, name: 'Peak', start_date: inDays(110) }] }, 400, { token });
    await get(`/agency/cars/${UNKNOWN}/seasons/`, 404, { token });
    await put(`/agency/cars/${UNKNOWN}/seasons/`, { seasons: [] }, 404, { token });
  });

  it('POST /agency/seasons/: 201; 409 a season on those days; 404 a car not theirs; 400 both rates', async () => {
    const token = agency.token;
    const plan = { car_ids: [car.id], name: 'Songkran', start_date: inDays(130), end_date: inDays(135), percent_of_base_rate: 120 };
    await post('/agency/seasons/', plan, 201, { token });
    await post('/agency/seasons/', plan, 409, { token });
    await post('/agency/seasons/', { ...plan, car_ids: [UNKNOWN] }, 404, { token });
    await post('/agency/seasons/', { ...plan, daily_rate: 100_000 }, 400, { token });
  });

  it('GET, PUT /agency/opening-hours/: 200; 400 closing before opening; 403 a customer', async () => {
    const token = agency.token;
    await get('/agency/opening-hours/', 403, { token: customer.token });
    await put('/agency/opening-hours/', { hours: [{ weekday: 1, opens: '08:00', closes: '20:00' }], after_hours_fee: 30_000 }, 200, { token });
    await get('/agency/opening-hours/', 200, { token });
    await put('/agency/opening-hours/', { hours: [{ weekday: 1, opens: '20:00', closes: '08:00' }], after_hours_fee: null }, 400, { token });
    // Back to no hours: the bookings below hand over at any time.
    await put('/agency/opening-hours/', { hours: [], after_hours_fee: null }, 200, { token });
  });

  it('GET, PUT /agency/delivery/: 200; 400 an unknown landmark; 401 without a token', async () => {
    const token = agency.token;
    await get('/agency/delivery/', 401);
    await put('/agency/delivery/', { options: [{ landmark: 'phuket-airport', fee: 60_000 }] }, 200, { token });
    await get('/agency/delivery/', 200, { token });
    await put('/agency/delivery/', { options: [{ landmark: 'atlantis', fee: 0 }] }, 400, { token });
  });
});

describe('search', () => {
  it('GET /cars/: 200 around a landmark (with distances); 400 without dates', async () => {
    const found = await get(`/cars/?start_date=${inDays(30)}&end_date=${inDays(32)}&landmark=patong-beach&radius_km=10`, 200);
    expect(found.body.results.length).toBeGreaterThan(0);
    await get(`/cars/?start_date=${inDays(30)}&end_date=${inDays(32)}&ordering=-price&limit=1`, 200);
    await get('/cars/?landmark=patong-beach', 400);
  });

  it('GET /cars/{id}/: 200 with and without dates; 404 unknown', async () => {
    const detail = await get(`/cars/${car.id}/?start_date=${inDays(30)}&end_date=${inDays(32)}`, 200);
    expect(detail.body.price).toBeDefined();
    await get(`/cars/${car.id}/`, 200);
    await get(`/cars/${UNKNOWN}/`, 404);
  });

  it('GET /landmarks/: 200; 400 a limit of 0', async () => {
    await get('/landmarks/', 200);
    await get('/landmarks/?limit=0', 400);
  });

  it('GET /agencies/{id}/: 200; 404 unknown; 400 not a UUID', async () => {
    await get(`/agencies/${agency.agency!.id}/`, 200);
    await get(`/agencies/${UNKNOWN}/`, 404);
    await get('/agencies/patong/', 400);
  });
});

describe('bookings', () => {
  let bookingId: string;
  let intentId: string;
  let secondId: string;

  it('POST /bookings/: 201 (and its replay); 400 without Idempotency-Key; 404 unknown car; 409 dates taken; 403 an agency; 429 beyond the unpaid holds', async () => {
    const token = customer.token;
    const body = { car_id: car.id, start_date: inDays(30), end_date: inDays(32) };
    const key = randomUUID();
    const created = await post('/bookings/', body, 201, { token, headers: { 'idempotency-key': key } });
    bookingId = created.body.id;
    intentId = created.body.payment.intent_id;
    const replayed = await post('/bookings/', body, 201, { token, headers: { 'idempotency-key': key } });
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    await post('/bookings/', body, 400, { token });
    await post('/bookings/', { ...body, car_id: UNKNOWN }, 404, { token, headers: { 'idempotency-key': randomUUID() } });
    await post('/bookings/', body, 409, { token, headers: { 'idempotency-key': randomUUID() } });
    await post('/bookings/', { ...body, start_date: inDays(50), end_date: inDays(51) }, 403, {
      token: agency.token,
      headers: { 'idempotency-key': randomUUID() },
    });
    const second = await post('/bookings/', { ...body, start_date: inDays(40), end_date: inDays(41) }, 201, {
      token,
      headers: { 'idempotency-key': randomUUID() },
    });
    secondId = second.body.id;
    const third = await post('/bookings/', { ...body, start_date: inDays(44), end_date: inDays(45) }, 429, {
      token,
      headers: { 'idempotency-key': randomUUID() },
    });
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('POST /payments/webhook/: 200 a signed event; 400 a bad signature', async () => {
    await stripeStandin.succeed(intentId);
    const event = stripeEvent('payment_intent.succeeded', intentId, { bookingId });
    await call('POST', '/payments/webhook/', 200, {
      rawBody: event.payload,
      headers: { 'content-type': 'application/json', 'stripe-signature': event.signature },
    });
    await call('POST', '/payments/webhook/', 400, {
      rawBody: event.payload,
      headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=deadbeef' },
    });
  });

  it('GET /bookings/ and /bookings/{id}/: 200; 400 an unknown status; 404 unknown; 401 without a token', async () => {
    const token = customer.token;
    await get('/bookings/', 200, { token });
    await get('/bookings/?status=paid', 400, { token });
    await get('/bookings/', 401);
    expect((await get(`/bookings/${bookingId}/`, 200, { token })).body.status).toBe('confirmed');
    await get(`/bookings/${UNKNOWN}/`, 404, { token });
  });

  it('GET /agency/bookings/: 200; 403 a customer. PATCH /agency/bookings/{id}/: 200; 409 an illegal move; 400 no status; 404 unknown', async () => {
    const token = agency.token;
    await get(`/agency/bookings/?from=${inDays(0)}`, 200, { token });
    await get('/agency/bookings/', 403, { token: customer.token });
    await patch(`/agency/bookings/${secondId}/`, { status: 'confirmed' }, 200, { token });
    await patch(`/agency/bookings/${secondId}/`, { status: 'pending' }, 409, { token });
    await patch(`/agency/bookings/${secondId}/`, { status: 'paid' }, 400, { token });
    await patch(`/agency/bookings/${UNKNOWN}/`, { status: 'confirmed' }, 404, { token });
  });

  it('POST /bookings/{id}/cancel/: 200 with the refund; 409 again; 404 unknown', async () => {
    const token = customer.token;
    const cancelled = await post(`/bookings/${bookingId}/cancel/`, undefined, 200, { token });
    expect(cancelled.body.refund).toEqual({ amount: expect.any(Number) });
    await post(`/bookings/${bookingId}/cancel/`, undefined, 409, { token });
    await post(`/bookings/${UNKNOWN}/cancel/`, undefined, 404, { token });
  });

  it('blocks: POST 201, 409 overlapping; GET 200, 404 unknown car; DELETE 204, 404 unknown', async () => {
    const token = agency.token;
    const block = await post(`/agency/cars/${car.id}/blocks/`, { start_date: inDays(60), end_date: inDays(61), reason: 'Oil change' }, 201, { token });
    await post(`/agency/cars/${car.id}/blocks/`, { start_date: inDays(61), end_date: inDays(62), reason: 'Tyres' }, 409, { token });
    await get(`/agency/cars/${car.id}/blocks/`, 200, { token });
    await get(`/agency/cars/${UNKNOWN}/blocks/`, 404, { token });
    await del(`/agency/cars/${car.id}/blocks/${block.body.id}/`, 204, { token });
    await del(`/agency/cars/${car.id}/blocks/${UNKNOWN}/`, 404, { token });
  });
});

describe('reviews', () => {
  it('POST /bookings/{id}/review/ 201, 409 again, 404 unknown; GET /agencies/{id}/reviews/ 200, 404; reply 200, 409 again, 403 a customer', async () => {
    const rental = await insertBookingRow({ carId: car.id, customerId: customer.user.id, status: 'completed', start: inDays(-10), end: inDays(-8) });
    const review = await post(`/bookings/${rental}/review/`, { rating: 5, comment: 'Clean scooter, friendly handover at Patong' }, 201, {
      token: customer.token,
    });
    await post(`/bookings/${rental}/review/`, { rating: 4 }, 409, { token: customer.token });
    await post(`/bookings/${UNKNOWN}/review/`, { rating: 4 }, 404, { token: customer.token });
    const agencyId = agency.agency!.id;
    await get(`/agencies/${agencyId}/reviews/`, 200);
    await get(`/agencies/${UNKNOWN}/reviews/`, 404);
    const reply = `/agencies/${agencyId}/reviews/${review.body.id}/reply/`;
    await post(reply, { reply: 'Thank you, see you next time!' }, 200, { token: agency.token });
    await post(reply, { reply: 'Again' }, 409, { token: agency.token });
    await post(reply, { reply: 'Not mine' }, 403, { token: customer.token });
    // The reply and the rating show in the public answers.
    await get(`/agencies/${agencyId}/reviews/`, 200);
    await get(`/agencies/${agencyId}/`, 200);
  });
});

describe('without a database', () => {
  const originalUrl = process.env.DATABASE_URL;

  afterAll(async () => {
    await closeDb();
    process.env.DATABASE_URL = originalUrl;
    delete process.env.DB_CONNECT_TIMEOUT_MS;
    forgetConfig();
  });

  it('GET /health/ and a search answer 503 problem+json with Retry-After', async () => {
    await closeDb();
    const url = new URL(originalUrl!);
    url.hostname = '127.0.0.1';
    url.port = String(await freePort());
    process.env.DATABASE_URL = url.toString();
    process.env.DB_CONNECT_TIMEOUT_MS = '500';
    forgetConfig();
    const health = await get('/health/', 503);
    expect(Number(health.headers.get('retry-after'))).toBeGreaterThan(0);
    await get(`/cars/?start_date=${inDays(30)}&end_date=${inDays(32)}`, 503);
  });
});

/**
 * Counter-proofs: the same real answers, checked against a document broken on purpose (or
 * changed on purpose), must give findings that name the operation, the status and the field.
 */
describe('the check finds what does not match', () => {
  const answerOf = (method: string, template: RegExp, status: number) => {
    const found = answers.find((answer) => answer.method === method && template.test(answer.path.split('?')[0]!) && answer.status === status);
    if (!found) throw new Error(`no ${method} ${template} ${status} answer was recorded`);
    return found;
  };
  const carDetail = () => answerOf('GET', /^\/api\/v1\/cars\/[0-9a-f-]{36}\/$/, 200);
  const componentOf = (document: OpenApiDocument, name: string) =>
    (document.components!.schemas as Record<string, { properties: Record<string, unknown>; required: string[] }>)[name]!;

  it('a field the answer has but the document does not declare', () => {
    const document = structuredClone(served);
    delete componentOf(document, 'CarDetail').properties.make;
    componentOf(document, 'CarDetail').required = componentOf(document, 'CarDetail').required.filter((name) => name !== 'make');
    expect(new Contract(document).inspect(carDetail()).findings).toEqual([
      expect.stringMatching(/^GET \/api\/v1\/cars\/\{id\}\/ → 200: body: has a property the document does not declare: 'make'\n {2}body: \{/),
    ]);
  });

  it('a field the document requires but the answer lacks, or of another type', () => {
    const answer = carDetail();
    const { make: _make, ...withoutMake } = JSON.parse(answer.text) as Record<string, unknown>;
    const check = new Contract(served);
    expect(check.inspect({ ...answer, text: JSON.stringify(withoutMake) }).findings).toEqual([
      expect.stringContaining("GET /api/v1/cars/{id}/ → 200: body: must have required property 'make'"),
    ]);
    expect(check.inspect({ ...answer, text: JSON.stringify({ ...withoutMake, make: 42 }) }).findings).toEqual([
      expect.stringContaining('GET /api/v1/cars/{id}/ → 200: body/make: must be string'),
    ]);
  });

  it('a status or a media type the document does not declare', () => {
    const answer = carDetail();
    const check = new Contract(served);
    expect(check.inspect({ ...answer, status: 418 }).findings).toEqual([expect.stringContaining('GET /api/v1/cars/{id}/ → 418: status 418 is not declared')]);
    const plainText = new Headers(answer.headers);
    plainText.set('content-type', 'text/plain');
    expect(check.inspect({ ...answer, headers: plainText }).findings).toEqual([
      expect.stringContaining('GET /api/v1/cars/{id}/ → 200: media type text/plain is not declared (declared: application/json)'),
    ]);
  });

  it('a declared header that is missing or malformed (Location on a 201, Retry-After on a 429)', () => {
    const document = structuredClone(served);
    const responses = document.paths['/api/v1/bookings/']!.post!.responses as Record<string, { headers?: object }>;
    // Required, as a client may rely on them: then an answer without one is a finding.
    responses['201']!.headers = {
      ...responses['201']!.headers,
      Location: { required: true, schema: { type: 'string', pattern: '^/api/v1/bookings/[0-9a-f-]{36}/$' } },
    };
    responses['429']!.headers = { ...responses['429']!.headers, 'Retry-After': { required: true, schema: { type: 'integer', minimum: 1 } } };
    const check = new Contract(document);
    const created = answerOf('POST', /^\/api\/v1\/bookings\/$/, 201);
    const limited = answerOf('POST', /^\/api\/v1\/bookings\/$/, 429);
    const without = (answer: ContractAnswer, name: string) => {
      const headers = new Headers(answer.headers);
      headers.delete(name);
      return { ...answer, headers };
    };
    expect(check.inspect(created).findings).toEqual([]);
    expect(check.inspect(without(created, 'location')).findings).toEqual([
      expect.stringContaining('POST /api/v1/bookings/ → 201: header Location is required by the document but missing'),
    ]);
    const soon = new Headers(limited.headers);
    soon.set('retry-after', 'soon');
    expect(check.inspect({ ...limited, headers: soon }).findings).toContainEqual(
      expect.stringContaining('POST /api/v1/bookings/ → 429: header Retry-After: "soon": must be integer'),
    );
  });
});

describe('the contract', () => {
  it('every operation of the document had a validated success and, where it declares problems, a validated problem+json error', () => {
    // The document is generated from the route table: each route is one of its operations.
    expect(
      routes.filter((route) => contract.operationOf(route.method, API_PREFIX + route.path) !== `${route.method} ${API_PREFIX}${route.path}`).map(routeKey),
    ).toEqual([]);
    expect(contract.operationKeys()).toHaveLength(routes.length);
    const { byOperation, ...counts } = contract.coverage();
    const covered = Object.entries(byOperation).map(([operation, statuses]) => `${operation}: ${statuses.join(' ')}`);
    expect(contract.coverageGaps(), `${JSON.stringify(counts)}; validated:\n${covered.join('\n')}`).toEqual([]);
  });

  it('every known mismatch is still seen (a fixed one must leave KNOWN_MISMATCHES)', () => {
    expect(contract.staleKnownMismatches().map((entry) => `${entry.operation} → ${entry.status}: ${entry.finding}`)).toEqual([]);
  });
});
