import { sql, type Kysely } from 'kysely';
import type { Database } from '../database';
import { Conflict, DomainError, NotFound, PayloadTooLarge, UnsupportedMediaType } from '../errors';
import { newImageKey, uploadKeyOf } from './image-keys';
import { describeFirstBytes, imageTypeOf, SIGNATURE_BYTES } from './image-signatures';
import { runObjectDeletionsAfterCommit, scheduleObjectDeletions } from './object-deletions';
import type { ImageStorage } from './image-storage';
import { findOwnCar } from './inventory';
import { IMAGE_CONTENT_TYPES, type CarImage, type ImageContentType } from './table';

/**
 * Car photos go straight from the client to the bucket: the API hands out a presigned PUT for
 * a declared type and size, the client uploads, then confirms; only then is the photo shown.
 */

export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
export const MAX_IMAGES_PER_CAR = 20;
/** How long an upload URL works. A pending photo older than this no longer counts. */
export const UPLOAD_URL_LIFETIME_SECONDS = 300;

export interface ImageUpload {
  id: string;
  url: string;
  /** The headers the PUT must carry (both are signed). */
  headers: Record<string, string>;
  expiresAt: Date;
}

const IMAGE_NOT_FOUND = 'No such photo on this car.';

/** The declared upload, checked before anything is looked up: 415 for the type, 413 for the size. */
export function checkDeclaredUpload(contentType: string, contentLength: number): ImageContentType {
  const type = contentType.trim().toLowerCase();
  if (!(IMAGE_CONTENT_TYPES as readonly string[]).includes(type)) {
    throw new UnsupportedMediaType(`Photos must be one of ${IMAGE_CONTENT_TYPES.join(', ')}.`);
  }
  if (contentLength > MAX_IMAGE_BYTES) {
    throw new PayloadTooLarge(`Photos are limited to 10 MiB (${MAX_IMAGE_BYTES} bytes).`);
  }
  return type as ImageContentType;
}

/**
 * A pending photo and the URL to upload it to. At most MAX_IMAGES_PER_CAR photos per car
 * count: ready ones and pending ones whose URL still works (409 beyond).
 */
export async function createImageUpload(
  db: Kysely<Database>,
  storage: ImageStorage,
  input: { agencyId: string; carId: string; contentType: string; contentLength: number },
): Promise<ImageUpload> {
  const contentType = checkDeclaredUpload(input.contentType, input.contentLength);
  const key = newImageKey(input.agencyId, input.carId, contentType);

  const image = await db.transaction().execute(async (trx) => {
    await findOwnCar(trx, input.agencyId, input.carId, { lock: true });
    // Uploads abandoned for a day are gone from the bucket (lifecycle rule): drop their rows.
    await trx
      .deleteFrom('car_images')
      .where('car_id', '=', input.carId)
      .where('status', '=', 'pending')
      .where('created_at', '<', sql<Date>`now() - interval '1 day'`)
      .execute();
    const { count } = await trx
      .selectFrom('car_images')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('car_id', '=', input.carId)
      .where((eb) => eb.or([eb('status', '=', 'ready'), eb('created_at', '>', sql<Date>`now() - make_interval(secs => ${UPLOAD_URL_LIFETIME_SECONDS})`)]))
      .executeTakeFirstOrThrow();
    if (count >= MAX_IMAGES_PER_CAR) {
      throw new Conflict(`A car can have at most ${MAX_IMAGES_PER_CAR} photos. Delete one first.`);
    }
    return trx
      .insertInto('car_images')
      .values({ car_id: input.carId, s3_key: key, content_type: contentType, content_length: input.contentLength })
      .returning('id')
      .executeTakeFirstOrThrow();
  });

  const upload = await storage.presignUpload({
    key: uploadKeyOf(key),
    contentType,
    contentLength: input.contentLength,
    expiresInSeconds: UPLOAD_URL_LIFETIME_SECONDS,
  });
  return { id: image.id, ...upload };
}

async function findOwnImage(
  db: Kysely<Database>,
  ids: { agencyId: string; carId: string; imageId: string },
  options: { lock?: boolean } = {},
): Promise<CarImage> {
  let query = db
    .selectFrom('car_images')
    .innerJoin('cars', 'cars.id', 'car_images.car_id')
    .selectAll('car_images')
    .where('car_images.id', '=', ids.imageId)
    .where('car_images.car_id', '=', ids.carId)
    .where('cars.agency_id', '=', ids.agencyId)
    .where('cars.deleted_at', 'is', null);
  if (options.lock) query = query.forUpdate('car_images');
  const image = await query.executeTakeFirst();
  if (!image) throw new NotFound(IMAGE_NOT_FOUND);
  return image;
}

/**
 * Makes an uploaded photo ready: the upload must exist with the declared type and size (409
 * otherwise: upload first, or again with the right file), and its first bytes must be an image
 * of the declared type (415 otherwise: the upload and the pending photo are removed). It is
 * copied to its public key and placed after the car's other photos. Confirming a ready photo
 * again just returns it.
 */
export async function confirmImage(db: Kysely<Database>, storage: ImageStorage, ids: { agencyId: string; carId: string; imageId: string }): Promise<CarImage> {
  const image = await findOwnImage(db, ids);
  if (image.status === 'ready') return image;

  const uploadKey = uploadKeyOf(image.s3_key);
  const uploaded = await storage.readStart(uploadKey, SIGNATURE_BYTES);
  if (!uploaded) {
    throw new Conflict('Nothing has been uploaded for this photo yet. PUT the file to the upload URL, then confirm.');
  }
  if (uploaded.contentType !== image.content_type || uploaded.contentLength !== image.content_length) {
    throw new Conflict(
      `The uploaded file (${uploaded.contentType ?? 'no type'}, ${uploaded.contentLength ?? '?'} bytes) is not the one declared ` +
        `(${image.content_type}, ${image.content_length} bytes). Upload the declared file, then confirm.`,
    );
  }
  // The type S3 stores is whatever the client sent; only the bytes say what the file is.
  if (imageTypeOf(uploaded.firstBytes) !== image.content_type) {
    await discardUpload(db, storage, ids, uploadKey);
    throw new UnsupportedMediaType(
      `The uploaded file is ${describeFirstBytes(uploaded.firstBytes)}, but was declared ${image.content_type}. ` +
        `The upload and this pending photo have been deleted: start a new upload (POST /agency/cars/${ids.carId}/images/) with the photo's real type.`,
    );
  }

  await storage.copy(uploadKey, image.s3_key, image.content_type);
  let confirmed: CarImage;
  try {
    confirmed = await db.transaction().execute(async (trx) => {
      await findOwnCar(trx, ids.agencyId, ids.carId, { lock: true });
      const current = await findOwnImage(trx, ids, { lock: true });
      if (current.status === 'ready') return current; // a concurrent confirm got there first
      const { ready, next } = await trx
        .selectFrom('car_images')
        .select((eb) => [eb.fn.countAll<number>().as('ready'), sql<number>`coalesce(max(position) + 1, 0)`.as('next')])
        .where('car_id', '=', ids.carId)
        .where('status', '=', 'ready')
        .executeTakeFirstOrThrow();
      if (ready >= MAX_IMAGES_PER_CAR) {
        throw new Conflict(`A car can have at most ${MAX_IMAGES_PER_CAR} photos. Delete one first.`);
      }
      return trx
        .updateTable('car_images')
        .set({ status: 'ready', position: next, confirmed_at: sql<Date>`now()` })
        .where('id', '=', ids.imageId)
        .returningAll()
        .executeTakeFirstOrThrow();
    });
  } catch (error) {
    // Refused after all (deleted meanwhile, over the limit): take the copy back. Any other
    // failure may have happened after commit, so the copy stays rather than risk a ready
    // photo without its object.
    if (error instanceof DomainError) await storage.delete([image.s3_key]).catch(() => undefined);
    throw error;
  }
  // The upload has served its purpose; if this fails, the lifecycle rule removes it within a day.
  await storage.delete([uploadKey]).catch(() => undefined);
  return confirmed;
}

/**
 * Removes a pending photo whose upload is not what it claims, object then row, so the agency
 * starts over. No network call inside a transaction: the object goes first (deleting it twice
 * is harmless), so if S3 fails the row stays and the next confirm refuses and tries again; if
 * the row's delete fails after it, the next confirm finds nothing uploaded (409).
 */
async function discardUpload(
  db: Kysely<Database>,
  storage: ImageStorage,
  ids: { agencyId: string; carId: string; imageId: string },
  uploadKey: string,
): Promise<void> {
  await storage.delete([uploadKey]);
  await db
    .deleteFrom('car_images')
    .using('cars')
    .whereRef('cars.id', '=', 'car_images.car_id')
    .where('car_images.id', '=', ids.imageId)
    .where('car_images.car_id', '=', ids.carId)
    .where('car_images.status', '=', 'pending')
    .where('cars.agency_id', '=', ids.agencyId)
    .execute();
}

/**
 * Removes a photo, pending or ready: its row, and its objects after the commit (recorded in the
 * same transaction, so a store failure leaves them to the scheduled job, never orphaned).
 */
export async function deleteImage(db: Kysely<Database>, storage: ImageStorage, ids: { agencyId: string; carId: string; imageId: string }): Promise<void> {
  const objects = await db.transaction().execute(async (trx) => {
    const image = await trx
      .deleteFrom('car_images')
      .using('cars')
      .whereRef('cars.id', '=', 'car_images.car_id')
      .where('car_images.id', '=', ids.imageId)
      .where('car_images.car_id', '=', ids.carId)
      .where('cars.agency_id', '=', ids.agencyId)
      .where('cars.deleted_at', 'is', null)
      .returning('car_images.s3_key')
      .executeTakeFirst();
    if (!image) throw new NotFound(IMAGE_NOT_FOUND);
    const keys = [image.s3_key, uploadKeyOf(image.s3_key)];
    await scheduleObjectDeletions(trx, keys);
    return keys;
  });
  await runObjectDeletionsAfterCommit(db, storage, objects);
}
