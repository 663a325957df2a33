import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runObjectDeletions } from '#core/cars/object-deletions';
import type { ImageStorage } from '#core/cars/image-storage';
import { deleteImage } from '#core/cars/images';
import { deleteCar } from '#core/cars/inventory';
import { getDb } from '#platform/db';
import { s3ImageStorage } from '#platform/s3';
import { useApi } from '../helpers/api';
import { createAgencyAdmin, type TestUser } from '../helpers/auth';
import { addPhoto, createCarFor, objectExists } from '../helpers/cars';
import { openTransactionProbe } from '../helpers/open-transactions';

/**
 * Removing a photo's objects happens after the commit that removed its row, never inside the
 * transaction, and is never lost: what the store refuses stays recorded (object_deletions) and
 * is removed by the next run of the job. Against the real S3 emulator (s3rver), behind a
 * wrapper that can make the store fail and that looks at PostgreSQL at every call.
 */
const api = useApi();
const db = getDb('write');
let admin: TestUser;
let probe: ReturnType<typeof openTransactionProbe>;

/** The real store, failing while `failing` is set, counting calls made while a transaction of this database was open. */
const store = {
  failing: false,
  callsInsideTransactions: 0,
  calls: 0,
};
const guardedStorage: ImageStorage = {
  ...s3ImageStorage,
  async delete(keys) {
    store.calls += 1;
    store.callsInsideTransactions += await probe.count();
    if (store.failing) throw new Error('S3 is unavailable (injected)');
    return s3ImageStorage.delete(keys);
  },
};

beforeAll(async () => {
  admin = await createAgencyAdmin();
  probe = openTransactionProbe();
});
afterAll(async () => {
  await probe.close();
});

const keyOf = (url: string) => url.slice(`${process.env.IMAGES_PUBLIC_BASE_URL}/`.length);
const pending = () => db.selectFrom('object_deletions').select(['s3_key', 'attempts', 'last_error', 'available_at']).execute();

async function carWithPhoto() {
  const car = await createCarFor(api, admin.token);
  const photo = await addPhoto(api, admin.token, car.id);
  expect(await objectExists(keyOf(photo.url))).toBe(true);
  return { car, photo, key: keyOf(photo.url) };
}

describe('photo objects are removed after the commit, durably', () => {
  it('deleting a photo removes its row, then its object, with no transaction open during the store call', async () => {
    const { car, photo, key } = await carWithPhoto();
    const before = store.calls;
    await deleteImage(db, guardedStorage, { agencyId: admin.agency!.id, carId: car.id, imageId: photo.id });
    expect(store.calls).toBe(before + 1);
    expect(store.callsInsideTransactions).toBe(0);
    expect(await objectExists(key)).toBe(false);
    expect(await db.selectFrom('car_images').select('id').where('id', '=', photo.id).executeTakeFirst()).toBeUndefined();
    expect((await pending()).filter((row) => row.s3_key === key)).toEqual([]);
  });

  it('with the store down, the photo is still deleted; its object stays recorded, and the next run removes it', async () => {
    const { car, photo, key } = await carWithPhoto();
    store.failing = true;
    try {
      await deleteImage(db, guardedStorage, { agencyId: admin.agency!.id, carId: car.id, imageId: photo.id });
    } finally {
      store.failing = false;
    }
    expect(await db.selectFrom('car_images').select('id').where('id', '=', photo.id).executeTakeFirst()).toBeUndefined();
    expect(await objectExists(key)).toBe(true);
    const recorded = (await pending()).find((row) => row.s3_key === key);
    expect(recorded).toMatchObject({ attempts: 1, last_error: 'S3 is unavailable (injected)' });
    expect(recorded!.available_at.getTime()).toBeGreaterThan(Date.now());

    // Not due yet: the job leaves it alone. Due (time moved forward): removed, and forgotten.
    const keys = [key, `pending/${key}`];
    expect((await runObjectDeletions(db, guardedStorage, { keys })).deleted).toBe(0);
    await db
      .updateTable('object_deletions')
      .set({ available_at: sql<Date>`now() - interval '1 second'` })
      .where('s3_key', 'in', keys)
      .execute();
    expect(await runObjectDeletions(db, guardedStorage, { keys })).toEqual({ deleted: 2, retrying: 0 });
    expect(await objectExists(key)).toBe(false);
    expect((await pending()).filter((row) => row.s3_key === key)).toEqual([]);
    expect(store.callsInsideTransactions).toBe(0);
  });

  it('deleting a car with the store down deletes the car and records every object of its photos', async () => {
    const { car, key } = await carWithPhoto();
    const second = keyOf((await addPhoto(api, admin.token, car.id)).url);
    store.failing = true;
    try {
      await deleteCar(db, guardedStorage, admin.agency!.id, car.id);
    } finally {
      store.failing = false;
    }
    expect((await api.get(`/agency/cars/${car.id}/`, { token: admin.token })).status).toBe(404);
    const recorded = (await pending()).map((row) => row.s3_key);
    expect(recorded).toEqual(expect.arrayContaining([key, second, `pending/${key}`, `pending/${second}`]));
    expect(store.callsInsideTransactions).toBe(0);

    await db
      .updateTable('object_deletions')
      .set({ available_at: sql<Date>`now()` })
      .execute();
    const run = await runObjectDeletions(db, guardedStorage);
    expect(run.retrying).toBe(0);
    expect(await objectExists(key)).toBe(false);
    expect(await objectExists(second)).toBe(false);
    expect(await pending()).toEqual([]);
  });

  it('a refused delete of a photo that is not the agency’s records nothing', async () => {
    const other = await createAgencyAdmin();
    const { car, photo, key } = await carWithPhoto();
    await expect(deleteImage(db, guardedStorage, { agencyId: other.agency!.id, carId: car.id, imageId: photo.id })).rejects.toMatchObject({ status: 404 });
    expect(await objectExists(key)).toBe(true);
    expect((await pending()).filter((row) => row.s3_key === key)).toEqual([]);
  });
});
