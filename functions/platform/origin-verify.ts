import { createHash, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';
import { Forbidden } from '#core/errors';
import { defineConfig } from './config';

/** The header CloudFront adds to every request it sends to the API (lib/edge.ts). */
export const ORIGIN_VERIFY_HEADER = 'x-origin-verify';

/**
 * Set only when the stack puts CloudFront and WAF in front of the API (context `waf=true`):
 * the value CloudFront sends in ORIGIN_VERIFY_HEADER, from a secret the stack generates.
 * Unset (locally, in tests, without WAF), every request is accepted as before.
 */
const originConfig = defineConfig('origin', z.object({ ORIGIN_VERIFY_SECRET: z.string().min(32).optional() }));

/**
 * Why a request must be refused because it did not come through CloudFront (and so not
 * through WAF): it was sent to the execute-api URL directly. Undefined when it may go on.
 */
export function originRefusal(headers: Record<string, string | undefined> | undefined): Forbidden | undefined {
  const expected = originConfig().ORIGIN_VERIFY_SECRET;
  if (expected === undefined) return undefined;
  const given = Object.entries(headers ?? {}).find(([name]) => name.toLowerCase() === ORIGIN_VERIFY_HEADER)?.[1];
  if (given !== undefined && sameSecret(given, expected)) return undefined;
  return new Forbidden('This API is served through its public URL only.');
}

/** Constant time whatever the inputs: both sides are hashed to the same length first. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
