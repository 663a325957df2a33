import { beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '#platform/db';
import { useApi } from '../helpers/api';
import { createAgencyAdmin, type TestUser } from '../helpers/auth';
import { createCarFor } from '../helpers/cars';

/** The API contract: "PATCH takes any subset → 200 car". The empty subset is a no-op, still own cars only. */
const api = useApi();

let admin: TestUser;
let otherAdmin: TestUser;
beforeAll(async () => {
  [admin, otherAdmin] = await Promise.all([createAgencyAdmin({ name: 'Kata Cars' }), createAgencyAdmin({ name: 'Rawai Rides' })]);
});

async function carRow(id: string) {
  return getDb().selectFrom('cars').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

describe('PATCH /agency/cars/{id}/ with an empty body', () => {
  it('answers 200 with the car unchanged, updated_at included, and writes nothing', async () => {
    const car = await createCarFor(api, admin.token, { is_published: true, description: 'Air-con, dashcam' });
    const before = await carRow(car.id);

    const answer = await api.patch(`/agency/cars/${car.id}/`, {}, { token: admin.token });

    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(car);
    expect(await carRow(car.id)).toEqual(before);
  });

  it("answers another agency's car with 404, not its data", async () => {
    const car = await createCarFor(api, admin.token);
    const answer = await api.patch(`/agency/cars/${car.id}/`, {}, { token: otherAdmin.token });
    expect(answer.status).toBe(404);
    expect(answer.headers.get('content-type')).toBe('application/problem+json');
    expect(answer.text).not.toContain(car.id);
  });

  it('answers a deleted car with 404', async () => {
    const car = await createCarFor(api, admin.token);
    expect((await api.delete(`/agency/cars/${car.id}/`, { token: admin.token })).status).toBe(204);
    expect((await api.patch(`/agency/cars/${car.id}/`, {}, { token: admin.token })).status).toBe(404);
  });

  it('still refuses an unknown field with 400 (the empty subset is allowed, not any object)', async () => {
    const car = await createCarFor(api, admin.token);
    expect((await api.patch(`/agency/cars/${car.id}/`, { colour: 'red' }, { token: admin.token })).status).toBe(400);
  });
});
