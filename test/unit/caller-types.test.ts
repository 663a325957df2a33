import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { asAgencyAdmin, asCustomer, type Caller } from '#core/users/repository';
import { endpoint } from '#platform/http';
import { defineRoute } from '#platform/route';

/**
 * A route's access decides the caller's type: an agency route's caller has an agency
 * (`agencyId: string`, no `!` or lookup needed), a customer route's has none. The
 * `@ts-expect-error` lines are compile-time checks: `npm run typecheck` fails if one stops
 * being an error.
 */
const route = <A extends 'customer' | 'agency_admin' | 'signed-in'>(access: A) =>
  defineRoute({
    method: 'GET',
    path: `/test/${access}/`,
    handler: 'test',
    access,
    database: 'read',
    summary: 'test',
    tags: [],
    responses: { 200: { description: 'ok', schema: z.object({ id: z.string() }) } },
  });

const user = { userId: 'u1', sub: 's1', email: 'nok@example.com', fullName: 'Nok', emailVerified: true };

describe('the caller a route gets', () => {
  // Never run: compiling it is the test.
  function typed(): void {
    endpoint(route('agency_admin'), async ({ caller }, reply) => {
      const agencyId: string = caller.agencyId;
      const agencyName: string = caller.agencyName;
      return reply(200, { id: `${agencyId}:${agencyName}` });
    });
    endpoint(route('customer'), async ({ caller }, reply) => {
      // @ts-expect-error a customer administers no agency
      const agencyId = caller.agencyId;
      return reply(200, { id: `${caller.userId}${agencyId}` });
    });
    endpoint(route('signed-in'), async ({ caller }, reply) => {
      // @ts-expect-error any signed-in user: the agency may be missing
      const agencyId: string = caller.agencyId;
      return reply(200, { id: agencyId });
    });
  }

  it('is an agency admin with the agency, on agency routes', () => {
    const admin: Caller = { ...user, role: 'agency_admin', agencyId: 'a1', agencyName: 'Surin Scooters' };
    expect(asAgencyAdmin(admin)).toEqual({ ...user, role: 'agency_admin', agencyId: 'a1', agencyName: 'Surin Scooters' });
    expect(asAgencyAdmin({ ...admin, agencyId: null, agencyName: null })).toBeUndefined();
    expect(asAgencyAdmin({ ...user, role: 'customer', agencyId: null, agencyName: null })).toBeUndefined();
    expect(typed).toBeTypeOf('function');
  });

  it('is a customer without agency fields, on customer routes', () => {
    expect(asCustomer({ ...user, role: 'customer', agencyId: null, agencyName: null })).toEqual({ ...user, role: 'customer' });
    expect(asCustomer({ ...user, role: 'agency_admin', agencyId: 'a1', agencyName: 'Surin Scooters' })).toBeUndefined();
  });
});
