/**
 * The payload limit. An HTTP API cannot lower its own 10 MB limit, so each function refuses
 * anything larger than its route can legitimately need before parsing it: the largest JSON
 * body (a car with a 5,000-character description) is a few KB, while Stripe's event payloads
 * vary with the objects they embed. Photos never pass through here (presigned PUTs to S3).
 * A module of its own, so the document and the problem pages state the limits without
 * importing the middleware stack.
 */
export const MAX_JSON_BODY_BYTES = 64 * 1024;
export const MAX_RAW_BODY_BYTES = 512 * 1024;

/** `65536` → `64 KiB`. */
export const kibibytes = (bytes: number): string => `${bytes / 1024} KiB`;
