import { z } from 'zod';
import { defineConfig } from './config';

/**
 * Public URLs of ready photos: `${IMAGES_PUBLIC_BASE_URL}/${key}`, the CloudFront
 * distribution in AWS and the s3rver bucket locally (docs/images.md). Kept apart from the S3
 * adapter so the functions that only show photos do not bundle the S3 SDK.
 */
const imageUrlsConfig = defineConfig(
  'image urls',
  z.object({ IMAGES_PUBLIC_BASE_URL: z.url().transform((url) => url.replace(/\/+$/, '')) }),
);

export function publicImageUrl(key: string): string {
  return `${imageUrlsConfig().IMAGES_PUBLIC_BASE_URL}/${key}`;
}
