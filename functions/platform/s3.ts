import { CopyObjectCommand, DeleteObjectsCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import * as z from 'zod';
import type { ImageStorage } from '#core/cars/image-storage';
import { defineConfig } from './config';

export const storageConfig = defineConfig(
  'storage',
  z.object({
    // Set locally to the s3rver emulator; unset in AWS.
    S3_ENDPOINT: z.url().optional(),
    IMAGES_BUCKET: z.string().min(3).max(63),
    AWS_REGION: z.string().default('ap-southeast-1'),
  }),
);

let client: S3Client | undefined;

/** One SDK client per process; locally its endpoint is the emulator's, addressed path-style. */
function s3(): S3Client {
  const config = storageConfig();
  client ??= new S3Client({
    region: config.AWS_REGION,
    ...(config.S3_ENDPOINT ? { endpoint: config.S3_ENDPOINT, forcePathStyle: true } : {}),
    // By default the SDK would sign a CRC32 of the *empty* body into every presigned PUT
    // (x-amz-checksum-crc32=AAAAAA==), and S3 would refuse the real upload.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return client;
}

const isMissing = (error: unknown) => {
  const { name, $metadata } = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return name === 'NotFound' || name === 'NoSuchKey' || $metadata?.httpStatusCode === 404;
};

const isEmptyRange = (error: unknown) => {
  const { name, $metadata } = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return name === 'InvalidRange' || $metadata?.httpStatusCode === 416;
};

/** Photos are immutable (a new photo gets a new key), so browsers and CloudFront keep them. */
const PHOTO_CACHE_CONTROL = 'public, max-age=31536000, immutable';

/** The ImageStorage port, implemented with S3 (s3rver locally). */
export const s3ImageStorage: ImageStorage = {
  async presignUpload({ key, contentType, contentLength, expiresInSeconds }) {
    // SigV4 dates have whole seconds; the URL dies expiresIn seconds after that.
    const signingDate = new Date(Math.floor(Date.now() / 1000) * 1000);
    const command = new PutObjectCommand({
      Bucket: storageConfig().IMAGES_BUCKET,
      Key: key,
      ContentType: contentType,
      ContentLength: contentLength,
    });
    const url = await getSignedUrl(s3(), command, {
      expiresIn: expiresInSeconds,
      signingDate,
      // The presigner leaves content-type unsigned and content-length is only signed when
      // asked: sign both, so the URL accepts exactly the declared type and size.
      signableHeaders: new Set(['content-type', 'content-length']),
    });
    return {
      url,
      headers: { 'content-type': contentType, 'content-length': String(contentLength) },
      expiresAt: new Date(signingDate.getTime() + expiresInSeconds * 1000),
    };
  },

  async readStart(key, byteCount) {
    try {
      const object = await s3().send(new GetObjectCommand({ Bucket: storageConfig().IMAGES_BUCKET, Key: key, Range: `bytes=0-${byteCount - 1}` }));
      const firstBytes = object.Body ? await object.Body.transformToByteArray() : new Uint8Array();
      // A ranged answer's Content-Length is the range's; the whole size follows the slash in
      // Content-Range ("bytes 0-15/48213"). An object shorter than the range comes whole.
      const total = object.ContentRange?.match(/\/(\d+)$/)?.[1];
      return {
        contentType: object.ContentType,
        contentLength: total === undefined ? object.ContentLength : Number(total),
        firstBytes,
      };
    } catch (error) {
      if (isMissing(error)) return undefined;
      // S3 cannot serve a range of an empty object: it exists, with nothing in it.
      if (isEmptyRange(error)) return { contentType: undefined, contentLength: 0, firstBytes: new Uint8Array() };
      throw error;
    }
  },

  async copy(from, to, contentType) {
    const bucket = storageConfig().IMAGES_BUCKET;
    await s3().send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: to,
        CopySource: `${bucket}/${from}`,
        MetadataDirective: 'REPLACE',
        ContentType: contentType,
        CacheControl: PHOTO_CACHE_CONTROL,
      }),
    );
  },

  async delete(keys) {
    if (keys.length === 0) return;
    const bucket = storageConfig().IMAGES_BUCKET;
    // A car has at most 20 photos, two keys each: well under the 1,000 keys of one request.
    const answer = await s3().send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.map((key) => ({ Key: key })), Quiet: true } }));
    if (answer.Errors?.length) {
      const first = answer.Errors[0]!;
      throw new Error(`Could not delete ${answer.Errors.length} object(s), e.g. ${first.Key}: ${first.Code} ${first.Message}`);
    }
  },
};
