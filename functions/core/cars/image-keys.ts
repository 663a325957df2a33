import { randomUUID } from 'node:crypto';
import type { ImageContentType } from './table';

/**
 * Where photos live in the bucket. A ready photo's object is
 * `agencies/<agency id>/cars/<car id>/<random uuid>.<ext>` (the key stored in car_images);
 * its upload first lands under `pending/` + that key, and confirming copies it over.
 * The bucket's lifecycle rule expires everything under `pending/` after a day, so uploads
 * that are never confirmed disappear on their own (docs/images.md).
 */
export const UPLOAD_PREFIX = 'pending/';
export const PHOTO_PREFIX = 'agencies/';

const EXTENSIONS: Record<ImageContentType, string> = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp' };

export function newImageKey(agencyId: string, carId: string, contentType: ImageContentType): string {
  return `${PHOTO_PREFIX}${agencyId}/cars/${carId}/${randomUUID()}.${EXTENSIONS[contentType]}`;
}

/** Where the client uploads the photo that will live at `key` once confirmed. */
export function uploadKeyOf(key: string): string {
  return `${UPLOAD_PREFIX}${key}`;
}
