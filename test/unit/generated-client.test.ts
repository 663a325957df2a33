import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '#platform/openapi';

/**
 * A client developer generates types from the served document with openapi-typescript and
 * compiles under strict settings. This client must compile: it sends the Idempotency-Key a
 * booking requires, filters a search by numbers, and passes dates as strings; and each of
 * those is checked to be exactly that type (not `never`, not `string` for a number).
 */
const CLIENT = `
import type { paths } from './schema';

type Exactly<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

type CreateBooking = paths['/api/v1/bookings/']['post'];
type Search = paths['/api/v1/cars/']['get']['parameters']['query'];
type Webhook = paths['/api/v1/payments/webhook/']['post'];

export const keyIsString: Exactly<CreateBooking['parameters']['header']['Idempotency-Key'], string> = true;
export const signatureIsString: Exactly<Webhook['parameters']['header']['Stripe-Signature'], string> = true;
export const minPriceIsNumber: Exactly<NonNullable<Search['min_price']>, number> = true;
export const maxPriceIsNumber: Exactly<NonNullable<Search['max_price']>, number> = true;
export const seatsIsNumber: Exactly<NonNullable<Search['seats_min']>, number> = true;
export const radiusIsNumber: Exactly<NonNullable<Search['radius_km']>, number> = true;
export const limitIsNumber: Exactly<NonNullable<Search['limit']>, number> = true;
export const startIsString: Exactly<Search['start_date'], string> = true;

export const booking: CreateBooking['parameters']['header'] = { 'Idempotency-Key': crypto.randomUUID() };
export const search: Search = { start_date: '2027-03-10', end_date: '2027-03-12', car_type: 'scooter', landmark: 'patong-beach', radius_km: 5, min_price: 20000, seats_min: 2 };
export const bookingBody: CreateBooking['requestBody'] extends { content: { 'application/json': infer Body } } ? Body : never = {
  car_id: '2479b9ae-eead-4d34-bae0-49f02151207e',
  start_date: '2027-03-10',
  end_date: '2027-03-12',
};
export const eventType: NonNullable<Webhook['requestBody']>['content']['application/json']['type'] = 'payment_intent.succeeded';
`;

const dir = mkdtempSync(path.join(tmpdir(), 'generated-client-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a client generated from the OpenAPI document', () => {
  it('compiles under strict settings with Idempotency-Key a string, numeric filters numbers and dates strings', async () => {
    const ast = await openapiTS(JSON.parse(JSON.stringify(buildOpenApiDocument())));
    writeFileSync(path.join(dir, 'schema.ts'), astToString(ast));
    writeFileSync(path.join(dir, 'client.ts'), CLIENT);
    const program = ts.createProgram([path.join(dir, 'client.ts')], {
      strict: true,
      exactOptionalPropertyTypes: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
      types: [],
    });
    const problems = ts
      .getPreEmitDiagnostics(program)
      .map(
        (diagnostic) => `${diagnostic.file ? path.basename(diagnostic.file.fileName) : ''}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`,
      );
    expect(problems).toEqual([]);
  }, 60_000);
});
