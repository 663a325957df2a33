import * as z from 'zod';
import { defineConfig } from './config';

/**
 * Public URLs of ready photos: `${IMAGES_PUBLIC_BASE_URL}/${key}`, the CloudFront
 * distribution in AWS and the s3rver bucket locally (docs/images.md). Kept apart from the S3
 * adapter so the functions that only show photos do not bundle the S3 SDK.
 */
const imageUrlsConfig = defineConfig(
  'image urls',
  z.object({
    IMAGES_PUBLIC_BASE_URL: z
      .url()
      .transform((url) => url.replace(/\/+$/, ''))
      .optional(),
  }),
);

/** Whether photos have a public home; without one, public search lists cars without photos. */
export function hasPublicImages(): boolean {
  return imageUrlsConfig().IMAGES_PUBLIC_BASE_URL !== undefined;
}

export function publicImageUrl(key: string): string {
  const base = imageUrlsConfig().IMAGES_PUBLIC_BASE_URL;
  if (base === undefined) throw new Error('Invalid image urls configuration: IMAGES_PUBLIC_BASE_URL is not set');
  return `${base}/${key}`;
}
