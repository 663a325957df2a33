import { randomBytes } from 'node:crypto';
import {
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { todayInBangkok } from '#core/availability/dates';
import { cognitoIdentity } from '#platform/cognito';
import { forgetConfig } from '#platform/config';
import { getDb } from '#platform/db';
import { operationIdOf } from '#platform/openapi';
import { signWebhookPayload } from '#platform/payments';
import type { Access } from '#platform/route';
import { routes } from '#routes';
import { DEMO_AGENCY_ADMIN, DEMO_CUSTOMER, DEMO_PASSWORD, isCatalogueEmpty, resetDemoData, seedDemoData } from '../../dev/demo-data';
import { EMULATOR_CREDENTIALS, GROUPS } from '../../dev/emulators';
import { useApi } from '../helpers/api';
import { Contract, type OpenApiDocument } from '../helpers/contract';
import '../helpers/stripe'; // this file's own account at the Stripe stand-in

/**
 * "Try it out" on the docs page, for every operation: the demo catalogue `npm run dev` seeds
 * (dev/demo-data.ts) is loaded into this file's database, the demo traveller and the demo agency
 * admin sign in, and each operation of the OpenAPI document the API serves is sent the request
 * its examples describe (path, query and header parameters, body), exactly as the document
 * gives them, with the token of the demo account its route's access calls for. Each must answer
 * the success status the document declares (and match the document). An operation with no
 * examples, a required parameter or body without one, an example id the demo data lacks, or an
 * example the route's schema refuses fails the test, naming the operation. An example answer
 * showing a next page has its `next_cursor` sent back, as a client would: it must answer too.
 *
 * Only four values are not the examples' own, because only the server can know them
 * (SERVER_ONLY below). The operations run reads first, then writes in the document's order,
 * then deletions, children before parents, so no state change breaks a later request.
 */

// The demo accounts have fixed e-mails, which demo-data.test.ts registers too, in the Cognito
// emulator all test files share: seeding removes a leftover identity of the address first, so
// two files seeding at once would sign each other out. This file gets a user pool of its own.
{
  const cognito = new CognitoIdentityProviderClient({ endpoint: process.env.COGNITO_ENDPOINT, region: 'local', credentials: EMULATOR_CREDENTIALS });
  const pool = await cognito.send(new CreateUserPoolCommand({ PoolName: `try-it-out-${randomBytes(4).toString('hex')}`, UsernameAttributes: ['email'] }));
  const UserPoolId = pool.UserPool!.Id!;
  const client = await cognito.send(
    new CreateUserPoolClientCommand({
      UserPoolId,
      ClientName: 'phuket-rental-api',
      ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
    }),
  );
  for (const GroupName of GROUPS) await cognito.send(new CreateGroupCommand({ UserPoolId, GroupName }));
  cognito.destroy();
  Object.assign(process.env, { COGNITO_USER_POOL_ID: UserPoolId, COGNITO_CLIENT_ID: client.UserPoolClient!.ClientId! });
  forgetConfig();
}

/** An operation (or any part) of the document, walked as plain JSON. */
type JsonOperation = Record<string, any>;

interface Step {
  operationId: string;
  method: string;
  /** The path template, as the document writes it. */
  template: string;
  operation: JsonOperation;
}

interface ExampleRequest {
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** The success status the document's example answer is for. */
  expected: number;
  /** The `next_cursor` of that example answer, when it shows a next page: sent back, it must give that page. */
  nextCursor?: string;
}

const api = useApi();
const today = todayInBangkok();
const tokens: { customer?: string; agency_admin?: string; refresh?: string } = {};
let document: OpenApiDocument;

/** Which demo account's token a route's access needs ('signed-in': any, the traveller's). */
const ACCOUNT_OF_ACCESS: Record<Access, 'customer' | 'agency_admin' | undefined> = {
  public: undefined,
  stripe: undefined,
  'signed-in': 'customer',
  customer: 'customer',
  agency_admin: 'agency_admin',
};
const accessOf = new Map(routes.map((route) => [operationIdOf(route), route.access]));

/** The newest code the server put in its outbox for this kind of message (and recipient). */
async function codeInOutbox(kind: 'email_verification' | 'phone_verification', recipient?: string): Promise<string> {
  const row = await getDb()
    .selectFrom('notifications')
    .select(sql<string>`payload->>'code'`.as('code'))
    .where('kind', '=', kind)
    .$if(recipient !== undefined, (query) => query.where('recipient', '=', recipient!))
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
  if (!row) throw new Error(`no ${kind} code in the outbox`);
  return row.code;
}

/**
 * The exceptions: what only the server (or Stripe) can know, put in place of the example's
 * value. A code the server sent (read from its outbox row, as a person reads it from the mail or
 * the SMS), the refresh token of a real sign-in, and Stripe's signature over the example event.
 */
const SERVER_ONLY: Record<string, (request: ExampleRequest) => Promise<void>> = {
  verifyEmail: async (request) => {
    const body = JSON.parse(request.body!) as { email: string; code: string };
    request.body = JSON.stringify({ ...body, code: await codeInOutbox('email_verification', body.email) });
  },
  refreshTokens: async (request) => {
    request.body = JSON.stringify({ refresh_token: tokens.refresh });
  },
  verifyPhone: async (request) => {
    request.body = JSON.stringify({ code: await codeInOutbox('phone_verification') });
  },
  receiveStripeEvent: async (request) => {
    request.headers['Stripe-Signature'] = signWebhookPayload(request.body!, process.env.STRIPE_WEBHOOK_SECRET!);
  },
};

const METHOD_ORDER = ['get', 'post', 'put', 'patch', 'delete'];

/**
 * Reads first, then writes in the document's order (a registration before its verification, a
 * sign-in before its refresh), then deletions, the deepest path first: a car's photo and block
 * go before the car.
 */
function runOrder(steps: Step[]): Step[] {
  const depth = (step: Step) => step.template.split('/').length;
  return steps
    .map((step, index) => ({ step, index }))
    .sort(
      (a, b) =>
        METHOD_ORDER.indexOf(a.step.method) - METHOD_ORDER.indexOf(b.step.method) ||
        (a.step.method === 'delete' ? depth(b.step) - depth(a.step) : 0) ||
        a.index - b.index,
    )
    .map(({ step }) => step);
}

/** The request the operation's examples describe, or what is missing for one. */
function exampleRequest(step: Step): ExampleRequest | { missing: string[] } {
  const { operation } = step;
  const missing: string[] = [];
  let examples = 0;
  let path = step.template;
  const query = new URLSearchParams();
  const headers: Record<string, string> = {};
  for (const parameter of (operation.parameters ?? []) as JsonOperation[]) {
    if (parameter.example === undefined) {
      if (parameter.required) missing.push(`an example of the required ${parameter.in} parameter ${parameter.name}`);
      continue;
    }
    examples++;
    const value = String(parameter.example);
    if (parameter.in === 'path') path = path.replace(`{${parameter.name}}`, encodeURIComponent(value));
    else if (parameter.in === 'query') query.append(parameter.name, value);
    else if (parameter.in === 'header') headers[parameter.name] = value;
  }
  let body: string | undefined;
  if (operation.requestBody) {
    const example = operation.requestBody.content?.['application/json']?.example;
    if (example === undefined) missing.push('an example of the request body');
    else {
      examples++;
      body = JSON.stringify(example);
      headers['content-type'] = 'application/json';
    }
  }
  const successes = Object.entries<JsonOperation>(operation.responses ?? {}).filter(([status]) => /^2\d\d$/.test(status));
  const withExample = successes.filter(([, response]) => Object.values<JsonOperation>(response.content ?? {}).some((media) => media.example !== undefined));
  examples += withExample.length;
  for (const [status, response] of successes) {
    const json = response.content?.['application/json'];
    if (json && json.example === undefined) missing.push(`an example of its ${status} answer`);
  }
  if (examples === 0) missing.push('any example at all');
  const [success] = withExample.length > 0 ? withExample : successes;
  if (!success) missing.push('a success answer');
  if (missing.length > 0 || !success) return { missing };
  const nextCursor: unknown = success[1].content?.['application/json']?.example?.next_cursor;
  return {
    path: path + (query.size > 0 ? `?${query.toString()}` : ''),
    headers,
    ...(body !== undefined ? { body } : {}),
    expected: Number(success[0]),
    ...(typeof nextCursor === 'string' ? { nextCursor } : {}),
  };
}

async function signIn(email: string) {
  const answer = await api.post('/auth/token/', { email, password: DEMO_PASSWORD });
  expect(answer.status, answer.text).toBe(200);
  return answer.body as { access_token: string; refresh_token: string };
}

beforeAll(async () => {
  expect(await isCatalogueEmpty(getDb())).toBe(true);
  await seedDemoData(getDb(), cognitoIdentity, { today });
  const traveller = await signIn(DEMO_CUSTOMER);
  tokens.customer = traveller.access_token;
  tokens.refresh = traveller.refresh_token;
  tokens.agency_admin = (await signIn(DEMO_AGENCY_ADMIN)).access_token;
  document = (await api.get<OpenApiDocument>('/openapi.json')).body;
});

describe('"Try it out" with the demo data, for every operation of the served document', () => {
  it('names the demo accounts truthfully in the document’s description', () => {
    const description = (document.info as { description: string }).description;
    for (const fact of [DEMO_CUSTOMER, DEMO_AGENCY_ADMIN, DEMO_PASSWORD]) expect(description).toContain(fact);
  });

  it('answers each operation’s example request with the success status its example is for, as the document describes it', async () => {
    const steps: Step[] = Object.entries(document.paths).flatMap(([template, item]) =>
      Object.entries(item)
        .filter(([method]) => METHOD_ORDER.includes(method))
        .map(([method, operation]) => ({ operationId: String(operation.operationId), method, template, operation })),
    );
    expect(steps.length).toBe(routes.length);
    const contract = new Contract(document);
    const failures: string[] = [];
    const passed: string[] = [];
    const cursorsSentBack: string[] = [];
    for (const step of runOrder(steps)) {
      const name = `${step.operationId} (${step.method.toUpperCase()} ${step.template})`;
      const request = exampleRequest(step);
      if ('missing' in request) {
        failures.push(`${name}: the document lacks ${request.missing.join(', ')}`);
        continue;
      }
      await SERVER_ONLY[step.operationId]?.(request);
      const account = ACCOUNT_OF_ACCESS[accessOf.get(step.operationId) ?? 'public'];
      const token = account ? tokens[account] : undefined;
      if (step.operation.security?.length && !token) failures.push(`${name}: no demo account for its access`);
      const path = request.path.replace(/^\/api\/v1/, '');
      const answer = await api.request(step.method.toUpperCase(), path, {
        headers: request.headers,
        ...(token ? { token } : {}),
        ...(request.body !== undefined ? { rawBody: request.body } : {}),
      });
      if (answer.status !== request.expected) {
        failures.push(`${name}: ${answer.status} instead of ${request.expected}: ${answer.text.slice(0, 300)}`);
        continue;
      }
      const { findings } = contract.inspect({ method: step.method, path: request.path, status: answer.status, headers: answer.headers, text: answer.text });
      if (findings.length > 0) {
        failures.push(`${name}: the answer does not match the document: ${findings.join('; ')}`);
        continue;
      }
      if (request.nextCursor !== undefined) {
        // The next page, as a client asks for it with the example's next_cursor.
        const [pathOnly, search] = path.split('?') as [string, string | undefined];
        const query = new URLSearchParams(search);
        query.set('cursor', request.nextCursor);
        const nextPage = await api.request(step.method.toUpperCase(), `${pathOnly}?${query.toString()}`, {
          headers: request.headers,
          ...(token ? { token } : {}),
        });
        if (nextPage.status !== request.expected) {
          failures.push(`${name}: its example's next_cursor, sent back, answers ${nextPage.status}: ${nextPage.text.slice(0, 300)}`);
          continue;
        }
        cursorsSentBack.push(step.operationId);
      }
      passed.push(step.operationId);
    }
    expect(failures, `passed: ${passed.join(', ')}`).toEqual([]);
    expect(passed).toHaveLength(routes.length);
    // The examples that show a next page: their cursors work.
    expect(cursorsSentBack.sort()).toEqual(['listLandmarks', 'searchCars']);
  });

  it('leaves data `npm run seed -- --reset` starts over from, with the examples’ records again', async () => {
    await resetDemoData(getDb(), cognitoIdentity);
    expect(await seedDemoData(getDb(), cognitoIdentity, { today })).toMatchObject({ agencies: 10, cars: 60 });
    const getAgencyCar = document.paths['/api/v1/agency/cars/{id}/']!.get as JsonOperation;
    const car = await api.get(`/agency/cars/${String(getAgencyCar.parameters[0].example)}/`, { token: (await signIn(DEMO_AGENCY_ADMIN)).access_token });
    expect(car.status, car.text).toBe(200);
  });
});
