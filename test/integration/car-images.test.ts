import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '#platform/db';
import { useApi } from '../helpers/api';
import { createAgencyAdmin, type TestUser } from '../helpers/auth';
import { s3ImageStorage } from '#platform/s3';
import { addPhoto, createCarFor, keyOfUploadUrl, objectExists, objectUrl, putObject, startUpload, tinyJpeg } from '../helpers/cars';

const api = useApi();

const MiB = 1024 * 1024;

/** A real 1×1 PNG (signature, IHDR, one IDAT, IEND). */
const tinyPng = () => Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');
/** A real 1×1 lossless WebP: "RIFF", size, "WEBP", one VP8L chunk. */
const tinyWebp = () => Buffer.from('UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==', 'base64');

let admin: TestUser;
let agencyId: string;
beforeAll(async () => {
  admin = await createAgencyAdmin({ name: 'Rawai Rides' });
  agencyId = admin.agency!.id;
});

const newCar = () => createCarFor(api, admin.token);
const imagesOf = (carId: string) => `/agency/cars/${carId}/images/`;
const confirm = (carId: string, imageId: string) => api.post(`/agency/cars/${carId}/images/${imageId}/confirm/`, undefined, { token: admin.token });

describe('POST /agency/cars/{id}/images/: what may be uploaded', () => {
  it('answers 415 for a declared type other than JPEG, PNG or WebP, creating nothing', async () => {
    const car = await newCar();
    for (const contentType of ['image/gif', 'image/svg+xml', 'text/html', 'application/pdf', 'image/jpg']) {
      const answer = await api.post(imagesOf(car.id), { content_type: contentType, content_length: 1000 }, { token: admin.token });
      expect(answer.status, contentType).toBe(415);
      expect(answer.body.type).toBe('/api/v1/problems/unsupported-media-type/');
    }
    expect(await getDb().selectFrom('car_images').select('id').where('car_id', '=', car.id).execute()).toEqual([]);
  });

  it('answers 413 for a declared size over 10 MiB and accepts exactly 10 MiB', async () => {
    const car = await newCar();
    const tooLarge = await api.post(imagesOf(car.id), { content_type: 'image/jpeg', content_length: 10 * MiB + 1 }, { token: admin.token });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body.type).toBe('/api/v1/problems/payload-too-large/');
    const limit = await api.post(imagesOf(car.id), { content_type: 'image/jpeg', content_length: 10 * MiB }, { token: admin.token });
    expect(limit.status).toBe(201);
  });

  it('answers a malformed body with 400 before judging type or size', async () => {
    const car = await newCar();
    const bodies: unknown[] = [
      {},
      { content_type: 'image/jpeg' },
      { content_length: 100 },
      { content_type: 'image/gif', content_length: 0 },
      { content_type: 'image/gif', content_length: -5 },
      { content_type: 'image/jpeg', content_length: 10.5 },
      { content_type: 'image/jpeg', content_length: '100' },
      { content_type: 'image/gif', content_length: 20 * MiB, filename: 'x.gif' },
      { content_type: 'x'.repeat(101), content_length: 100 },
    ];
    for (const body of bodies) {
      const answer = await api.post(imagesOf(car.id), body, { token: admin.token });
      expect(answer.status, JSON.stringify(body)).toBe(400);
    }
    const malformed = await api.request('POST', imagesOf(car.id), {
      token: admin.token,
      rawBody: '{"content_type":',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.status).toBe(400);
  });

  it('decides 400, 413 and 415 before looking for the car (validation before state)', async () => {
    const missingCar = crypto.randomUUID();
    expect((await api.post(imagesOf(missingCar), { content_type: 'image/jpeg' }, { token: admin.token })).status).toBe(400);
    expect((await api.post(imagesOf(missingCar), { content_type: 'image/gif', content_length: 10 }, { token: admin.token })).status).toBe(415);
    expect((await api.post(imagesOf(missingCar), { content_type: 'image/png', content_length: 11 * MiB }, { token: admin.token })).status).toBe(413);
    expect((await api.post(imagesOf(missingCar), { content_type: 'image/png', content_length: 10 }, { token: admin.token })).status).toBe(404);
  });
});

describe('the presigned upload', () => {
  it('answers 201 with a pending photo and a PUT URL signed for the declared type and size, valid at most 300 s', async () => {
    const car = await newCar();
    const before = Date.now();
    const answer = await api.post(imagesOf(car.id), { content_type: 'image/jpeg', content_length: 4321 }, { token: admin.token });
    const after = Date.now();
    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({
      id: expect.any(String),
      status: 'pending',
      upload: { method: 'PUT', url: expect.any(String), headers: { 'content-type': 'image/jpeg', 'content-length': '4321' } },
      expires_at: expect.any(String),
    });

    const url = new URL(answer.body.upload.url);
    const signed = url.searchParams.get('X-Amz-SignedHeaders')!.split(';');
    expect(signed).toContain('content-type');
    expect(signed).toContain('content-length');
    const expiresIn = Number(url.searchParams.get('X-Amz-Expires'));
    expect(expiresIn).toBeGreaterThan(0);
    expect(expiresIn).toBeLessThanOrEqual(300);
    expect(url.searchParams.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    // A checksum of the empty body in the URL would make S3 refuse the real upload.
    expect([...url.searchParams.keys()].filter((name) => /checksum/i.test(name))).toEqual([]);

    const key = keyOfUploadUrl(answer.body.upload.url);
    expect(key).toMatch(new RegExp(`^pending/agencies/${agencyId}/cars/${car.id}/[0-9a-f-]{36}\\.jpg$`));

    const expiresAt = Date.parse(answer.body.expires_at);
    expect(expiresAt).toBeGreaterThan(before);
    // Within 300 s of the request, however long a busy machine took to answer it.
    expect(expiresAt).toBeLessThanOrEqual(after + 301_000);

    const row = await getDb().selectFrom('car_images').selectAll().where('id', '=', answer.body.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ car_id: car.id, status: 'pending', content_type: 'image/jpeg', content_length: 4321 });
    expect(`pending/${row.s3_key}`).toBe(key);
  });

  it('gives each accepted type its extension and a fresh key', async () => {
    const car = await newCar();
    const keys = [];
    for (const [contentType, extension] of [
      ['image/jpeg', 'jpg'],
      ['image/png', 'png'],
      ['image/webp', 'webp'],
      ['image/jpeg', 'jpg'],
    ]) {
      const started = await startUpload(api, admin.token, car.id, { content_type: contentType!, content_length: 100 });
      const key = keyOfUploadUrl(started.upload.url);
      expect(key.endsWith(`.${extension}`), key).toBe(true);
      keys.push(key);
    }
    expect(new Set(keys).size).toBe(4);
  });

  it('allows at most 20 photos per car (409 beyond); pending ones older than the URL lifetime do not count', async () => {
    const car = await newCar();
    for (let index = 0; index < 18; index += 1) await startUpload(api, admin.token, car.id, { content_type: 'image/png', content_length: 100 });
    await addPhoto(api, admin.token, car.id);
    await addPhoto(api, admin.token, car.id);
    const refused = await api.post(imagesOf(car.id), { content_type: 'image/png', content_length: 100 }, { token: admin.token });
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toMatch(/at most 20/);

    // Two pending uploads whose URLs died long ago free their places.
    await sql`
      UPDATE car_images SET created_at = now() - interval '6 minutes'
      WHERE id IN (SELECT id FROM car_images WHERE car_id = ${car.id} AND status = 'pending' LIMIT 2)`.execute(getDb());
    expect((await api.post(imagesOf(car.id), { content_type: 'image/png', content_length: 100 }, { token: admin.token })).status).toBe(201);
    expect((await api.post(imagesOf(car.id), { content_type: 'image/png', content_length: 100 }, { token: admin.token })).status).toBe(201);
    expect((await api.post(imagesOf(car.id), { content_type: 'image/png', content_length: 100 }, { token: admin.token })).status).toBe(409);
  });

  it('drops pending photos abandoned for over a day (their uploads have expired) when the next upload starts', async () => {
    const car = await newCar();
    const abandoned = await startUpload(api, admin.token, car.id, { content_type: 'image/png', content_length: 100 });
    const recent = await startUpload(api, admin.token, car.id, { content_type: 'image/png', content_length: 100 });
    await sql`UPDATE car_images SET created_at = now() - interval '25 hours' WHERE id = ${abandoned.id}`.execute(getDb());
    await sql`UPDATE car_images SET created_at = now() - interval '23 hours' WHERE id = ${recent.id}`.execute(getDb());
    await startUpload(api, admin.token, car.id, { content_type: 'image/png', content_length: 100 });
    const left = await getDb().selectFrom('car_images').select('id').where('id', 'in', [abandoned.id, recent.id]).execute();
    expect(left.map((row) => row.id)).toEqual([recent.id]);
  });

  it('never lets a car have more than 20 ready photos, even by confirming a late upload', async () => {
    const car = await newCar();
    const late = await startUpload(api, admin.token, car.id, { content_type: 'image/jpeg', content_length: tinyJpeg().length });
    expect(await putObject(late.upload.url, tinyJpeg(), 'image/jpeg')).toBe(200);
    await sql`UPDATE car_images SET created_at = now() - interval '6 minutes' WHERE id = ${late.id}`.execute(getDb());
    for (let index = 0; index < 20; index += 1) await addPhoto(api, admin.token, car.id);

    const answer = await confirm(car.id, late.id);
    expect(answer.status).toBe(409);
    const ready = await getDb().selectFrom('car_images').select('id').where('car_id', '=', car.id).where('status', '=', 'ready').execute();
    expect(ready).toHaveLength(20);
  });
});

describe('POST /agency/cars/{id}/images/{image_id}/confirm/', () => {
  it('answers 409 when nothing has been uploaded yet, and the photo stays pending', async () => {
    const car = await newCar();
    const started = await startUpload(api, admin.token, car.id, { content_type: 'image/jpeg', content_length: 500 });
    const answer = await confirm(car.id, started.id);
    expect(answer.status).toBe(409);
    expect(answer.body.detail).toMatch(/upload/i);
    const row = await getDb().selectFrom('car_images').select('status').where('id', '=', started.id).executeTakeFirstOrThrow();
    expect(row.status).toBe('pending');
  });

  it('answers 409 when the uploaded file has another size or another type than declared', async () => {
    const car = await newCar();
    const bytes = tinyJpeg();

    const wrongSize = await startUpload(api, admin.token, car.id, { content_type: 'image/jpeg', content_length: bytes.length + 1 });
    expect(await putObject(wrongSize.upload.url, bytes, 'image/jpeg')).toBe(200); // s3rver does not check the signature
    expect((await confirm(car.id, wrongSize.id)).status).toBe(409);

    const png = tinyPng();
    const wrongType = await startUpload(api, admin.token, car.id, { content_type: 'image/png', content_length: png.length });
    expect(await putObject(wrongType.upload.url, png, 'image/jpeg')).toBe(200);
    const answer = await confirm(car.id, wrongType.id);
    expect(answer.status).toBe(409);
    expect(answer.body.detail).toContain('image/png');

    const shown = await api.get(`/agency/cars/${car.id}/`, { token: admin.token });
    expect(shown.body.images).toEqual([]);

    // Uploading the declared file with the same URL then works.
    expect(await putObject(wrongType.upload.url, png, 'image/png')).toBe(200);
    expect((await confirm(car.id, wrongType.id)).status).toBe(200);
  });

  it('publishes the upload under agencies/…: copied to its public key, the pending/ upload removed', async () => {
    const car = await newCar();
    const bytes = tinyJpeg();
    const started = await startUpload(api, admin.token, car.id, { content_type: 'image/jpeg', content_length: bytes.length });
    const uploadKey = keyOfUploadUrl(started.upload.url);
    expect(await putObject(started.upload.url, bytes, started.upload.headers['content-type']!)).toBe(200);

    const answer = await confirm(car.id, started.id);
    expect(answer.status).toBe(200);
    const publicKey = uploadKey.slice('pending/'.length);
    expect(answer.body).toEqual({ id: started.id, status: 'ready', url: objectUrl(publicKey), position: 0 });
    expect(publicKey).toMatch(new RegExp(`^agencies/${agencyId}/cars/${car.id}/`));
    expect(await objectExists(publicKey)).toBe(true);
    expect(await objectExists(uploadKey)).toBe(false);
    const served = await fetch(answer.body.url);
    expect(served.headers.get('cache-control')).toMatch(/immutable/);
  });

  it('is idempotent: confirming a ready photo again returns it unchanged', async () => {
    const car = await newCar();
    const photo = await addPhoto(api, admin.token, car.id);
    const again = await confirm(car.id, photo.id);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(photo);
  });

  it('places photos in the order they are confirmed; the car shows only ready ones', async () => {
    const car = await newCar();
    const bytes = tinyJpeg();
    const first = await startUpload(api, admin.token, car.id, { content_type: 'image/jpeg', content_length: bytes.length });
    const second = await startUpload(api, admin.token, car.id, { content_type: 'image/jpeg', content_length: bytes.length });
    await startUpload(api, admin.token, car.id, { content_type: 'image/jpeg', content_length: bytes.length }); // never confirmed
    for (const started of [first, second]) expect(await putObject(started.upload.url, bytes, 'image/jpeg')).toBe(200);

    expect((await confirm(car.id, second.id)).body.position).toBe(0);
    expect((await confirm(car.id, first.id)).body.position).toBe(1);
    const shown = await api.get(`/agency/cars/${car.id}/`, { token: admin.token });
    expect(shown.body.images.map((image: { id: string }) => image.id)).toEqual([second.id, first.id]);
  });

  it('answers 404 for an unknown photo, or a photo of another car of the same agency', async () => {
    const car = await newCar();
    const otherCar = await newCar();
    const photo = await addPhoto(api, admin.token, otherCar.id);
    expect((await confirm(car.id, crypto.randomUUID())).status).toBe(404);
    expect((await confirm(car.id, photo.id)).status).toBe(404);
    expect((await api.delete(`/agency/cars/${car.id}/images/${photo.id}/`, { token: admin.token })).status).toBe(404);
    expect(await objectExists(photo.url.slice(`${process.env.IMAGES_PUBLIC_BASE_URL}/`.length))).toBe(true);
  });
});

describe('confirm reads the first bytes: photos are photos', () => {
  /** Starts an upload declared as `declared`, PUTs `bytes` with that type (as the URL demands), confirms. */
  async function uploadAndConfirm(carId: string, bytes: Buffer, declared: string) {
    const started = await startUpload(api, admin.token, carId, { content_type: declared, content_length: bytes.length });
    expect(await putObject(started.upload.url, bytes, declared)).toBe(200);
    return { started, uploadKey: keyOfUploadUrl(started.upload.url), answer: await confirm(carId, started.id) };
  }

  /** The refusal: 415 problem+json, the upload gone from the bucket, the pending photo gone. */
  async function expectRefusedAndRemoved(carId: string, { started, uploadKey, answer }: Awaited<ReturnType<typeof uploadAndConfirm>>) {
    expect(answer.status).toBe(415);
    expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(answer.body).toMatchObject({ type: '/api/v1/problems/unsupported-media-type/', status: 415 });
    expect(answer.body.detail).toMatch(/deleted/);
    expect(await objectExists(uploadKey)).toBe(false);
    expect(await objectExists(uploadKey.slice('pending/'.length))).toBe(false);
    expect(await getDb().selectFrom('car_images').select('id').where('id', '=', started.id).executeTakeFirst()).toBeUndefined();
    expect((await confirm(carId, started.id)).status).toBe(404);
  }

  it('refuses an HTML file uploaded as image/png with 415, deleting the upload and the pending photo', async () => {
    const car = await newCar();
    const html = Buffer.from('<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>');
    const attempt = await uploadAndConfirm(car.id, html, 'image/png');
    await expectRefusedAndRemoved(car.id, attempt);
    expect(attempt.answer.body.detail).toContain('not a JPEG, PNG or WebP image (it begins with bytes 3c 21 44 4f 43 54 59 50)');
    expect(attempt.answer.body.detail).toContain('declared image/png');
    expect((await api.get(`/agency/cars/${car.id}/`, { token: admin.token })).body.images).toEqual([]);
  });

  it('refuses a real PNG declared as image/jpeg (and a JPEG declared as WebP), naming what was found', async () => {
    const car = await newCar();
    const pngAsJpeg = await uploadAndConfirm(car.id, tinyPng(), 'image/jpeg');
    await expectRefusedAndRemoved(car.id, pngAsJpeg);
    expect(pngAsJpeg.answer.body.detail).toMatch(/is a PNG image, but was declared image\/jpeg/);

    const jpegAsWebp = await uploadAndConfirm(car.id, tinyJpeg(), 'image/webp');
    await expectRefusedAndRemoved(car.id, jpegAsWebp);
    expect(jpegAsWebp.answer.body.detail).toMatch(/is a JPEG image, but was declared image\/webp/);
  });

  it('refuses a file cut short inside its signature, and a RIFF file that is not WebP', async () => {
    const car = await newCar();
    await expectRefusedAndRemoved(car.id, await uploadAndConfirm(car.id, tinyPng().subarray(0, 5), 'image/png'));
    await expectRefusedAndRemoved(car.id, await uploadAndConfirm(car.id, tinyJpeg().subarray(0, 2), 'image/jpeg'));
    await expectRefusedAndRemoved(car.id, await uploadAndConfirm(car.id, tinyWebp().subarray(0, 11), 'image/webp'));
    const wave = Buffer.concat([Buffer.from('RIFF'), Buffer.from([36, 0, 0, 0]), Buffer.from('WAVEfmt '), Buffer.alloc(20)]);
    await expectRefusedAndRemoved(car.id, await uploadAndConfirm(car.id, wave, 'image/webp'));
  });

  it('accepts real tiny JPEG, PNG and WebP files declared as what they are, and serves them unchanged', async () => {
    const car = await newCar();
    for (const [bytes, declared] of [
      [tinyJpeg(), 'image/jpeg'],
      [tinyPng(), 'image/png'],
      [tinyWebp(), 'image/webp'],
    ] as const) {
      const { answer } = await uploadAndConfirm(car.id, bytes, declared);
      expect(answer.status, declared).toBe(200);
      const served = await fetch(answer.body.url);
      expect(served.headers.get('content-type')).toBe(declared);
      expect(Buffer.from(await served.arrayBuffer())).toEqual(bytes);
    }
    expect((await api.get(`/agency/cars/${car.id}/`, { token: admin.token })).body.images).toHaveLength(3);
  });

  it('lets the agency start over after a refusal, with a new upload of the real file', async () => {
    const car = await newCar();
    await expectRefusedAndRemoved(car.id, await uploadAndConfirm(car.id, tinyPng(), 'image/jpeg'));
    const { answer } = await uploadAndConfirm(car.id, tinyPng(), 'image/png');
    expect(answer.status).toBe(200);
    expect(answer.body.position).toBe(0);
  });

  it('reads only the first bytes of the upload (a ranged GET), yet knows its whole size', async () => {
    const car = await newCar();
    const large = Buffer.concat([tinyJpeg(), Buffer.alloc(MiB)]);
    const started = await startUpload(api, admin.token, car.id, { content_type: 'image/jpeg', content_length: large.length });
    expect(await putObject(started.upload.url, large, 'image/jpeg')).toBe(200);
    const start = await s3ImageStorage.readStart(keyOfUploadUrl(started.upload.url), 16);
    expect(start).toEqual({ contentType: 'image/jpeg', contentLength: large.length, firstBytes: new Uint8Array(large.subarray(0, 16)) });
    expect(await s3ImageStorage.readStart(`${keyOfUploadUrl(started.upload.url)}.missing`, 16)).toBeUndefined();
  });
});

describe('DELETE /agency/cars/{id}/images/{image_id}/', () => {
  it('answers 204 and removes the row and the object; then 404', async () => {
    const car = await newCar();
    const kept = await addPhoto(api, admin.token, car.id);
    const photo = await addPhoto(api, admin.token, car.id);
    const key = photo.url.slice(`${process.env.IMAGES_PUBLIC_BASE_URL}/`.length);
    expect(await objectExists(key)).toBe(true);

    const answer = await api.delete(`/agency/cars/${car.id}/images/${photo.id}/`, { token: admin.token });
    expect(answer.status).toBe(204);
    expect(await objectExists(key)).toBe(false);
    expect(await getDb().selectFrom('car_images').select('id').where('id', '=', photo.id).executeTakeFirst()).toBeUndefined();
    expect((await api.get(`/agency/cars/${car.id}/`, { token: admin.token })).body.images).toEqual([{ id: kept.id, url: kept.url, position: 0 }]);
    expect((await api.delete(`/agency/cars/${car.id}/images/${photo.id}/`, { token: admin.token })).status).toBe(404);
  });

  it('deletes a pending photo and its uploaded object, freeing its place', async () => {
    const car = await newCar();
    const started = await startUpload(api, admin.token, car.id, { content_type: 'image/jpeg', content_length: tinyJpeg().length });
    expect(await putObject(started.upload.url, tinyJpeg(), 'image/jpeg')).toBe(200);
    const uploadKey = keyOfUploadUrl(started.upload.url);
    expect((await api.delete(`/agency/cars/${car.id}/images/${started.id}/`, { token: admin.token })).status).toBe(204);
    expect(await objectExists(uploadKey)).toBe(false);
    expect((await confirm(car.id, started.id)).status).toBe(404);
  });
});

describe('end to end: a real JPEG from the client to the public URL', () => {
  it('uploads the bytes with PUT to the presigned URL, confirms, and the car’s photo URL serves the same bytes', async () => {
    const car = await newCar();
    const jpeg = tinyJpeg();
    expect(jpeg.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));

    const started = await api.post(imagesOf(car.id), { content_type: 'image/jpeg', content_length: jpeg.length }, { token: admin.token });
    expect(started.status).toBe(201);
    const { url, method, headers } = started.body.upload;
    const put = await fetch(url, { method, headers, body: jpeg });
    expect(put.status).toBe(200);

    const confirmed = await confirm(car.id, started.body.id);
    expect(confirmed.status).toBe(200);

    const shown = await api.get(`/agency/cars/${car.id}/`, { token: admin.token });
    expect(shown.body.images).toEqual([{ id: started.body.id, url: confirmed.body.url, position: 0 }]);
    expect(shown.body.images[0].url.startsWith(`${process.env.IMAGES_PUBLIC_BASE_URL}/agencies/${agencyId}/cars/${car.id}/`)).toBe(true);

    const served = await fetch(shown.body.images[0].url);
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await served.arrayBuffer())).toEqual(jpeg);
  });
});
