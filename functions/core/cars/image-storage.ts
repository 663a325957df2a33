/**
 * The port to the photo store (S3 in AWS, s3rver locally). Core code depends on this, not on
 * the SDK; the adapter is functions/platform/s3.ts.
 */
export interface ImageStorage {
  /**
   * A URL the client PUTs the bytes to, signed for exactly this content type and length, and
   * the headers it must send with them.
   */
  presignUpload(upload: {
    key: string;
    contentType: string;
    contentLength: number;
    expiresInSeconds: number;
  }): Promise<{ url: string; headers: Record<string, string>; expiresAt: Date }>;
  /**
   * The stored object's type, its whole size and its first `byteCount` bytes (fewer when it is
   * shorter), read with a ranged GET so a large file is not downloaded; undefined when there is
   * no such object.
   */
  readStart(key: string, byteCount: number): Promise<StoredObjectStart | undefined>;
  /** Copies an object within the store, served from then on with this content type. */
  copy(from: string, to: string, contentType: string): Promise<void>;
  /** Removes objects; keys that do not exist are not an error. */
  delete(keys: readonly string[]): Promise<void>;
}

export interface StoredObjectStart {
  contentType: string | undefined;
  contentLength: number | undefined;
  firstBytes: Uint8Array;
}
