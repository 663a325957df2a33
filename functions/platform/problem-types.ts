import { MAX_IMAGE_BYTES } from '#core/cars/images';
import { kibibytes, MAX_JSON_BODY_BYTES, MAX_RAW_BODY_BYTES } from './body-limits';

/**
 * Every problem `type` this API answers, by slug: each DomainError subclass's `slug`, the
 * generic 500 of the error middleware, the dev server's own refusals and WAF's rate limit
 * (lib/waf-stack.ts). A problem's `type` is `/api/v1/problems/<slug>/` (problemType() in
 * ./problem.ts), and GET on it answers the
 * entry as a short page (functions/api/service/get-problem.ts), so a client developer who
 * follows the URI learns what went wrong and what to do. test/unit/openapi-document.test.ts
 * fails when code can produce a slug that has no entry here.
 */
export interface ProblemTypeInfo {
  status: number;
  title: string;
  /** What the answer means, in a sentence or two. */
  meaning: string;
  /** What the client can do about it. */
  action: string;
}

export const PROBLEM_TYPES = {
  'validation-error': {
    status: 400,
    title: 'Invalid request',
    meaning:
      'A path parameter, query parameter, header or the JSON body failed validation, or the body is not JSON. ' +
      'The `errors` member lists each field (`path`) with what is wrong with it (`message`).',
    action: 'Correct the fields named in `errors` and send the request again. Validation is decided before state: nothing was changed.',
  },
  'bad-request': {
    status: 400,
    title: 'Bad request',
    meaning: 'The HTTP request itself could not be served: the request target is not a path (the local development server only).',
    action: 'Send the request to a path under /api/v1/, such as /api/v1/health/.',
  },
  unauthorized: {
    status: 401,
    title: 'Unauthorized',
    meaning: 'The access token is missing, expired, malformed or issued by another user pool; or, at sign-in, the e-mail and password do not match.',
    action: 'Sign in with POST /api/v1/auth/token/ (or refresh with POST /api/v1/auth/token/refresh/) and send `Authorization: Bearer <access_token>`.',
  },
  forbidden: {
    status: 403,
    title: 'Forbidden',
    meaning: 'The token is valid but its role may not call this route: a customer on an agency route, or an agency admin on a customer route.',
    action: 'Sign in with an account of the role the route needs (customer or agency_admin).',
  },
  'email-not-verified': {
    status: 403,
    title: 'E-mail address not verified',
    meaning: 'The account has not proved its e-mail address yet, so it may sign in but not book or list cars.',
    action:
      'Send the 6-digit code e-mailed at registration to POST /api/v1/auth/verify/ as {"email", "code"}; POST /api/v1/auth/verify/resend/ with {"email"} sends a new one.',
  },
  'not-found': {
    status: 404,
    title: 'Not found',
    meaning: 'Nothing exists at this path, or the resource is not yours (another agency’s car or booking, another customer’s booking): both answer the same.',
    action: 'Check the id; list your own resources (GET /api/v1/bookings/, GET /api/v1/agency/cars/) to find the right one.',
  },
  'method-not-allowed': {
    status: 405,
    title: 'Method not allowed',
    meaning: 'The path exists but does not accept this HTTP method.',
    action: 'Use one of the methods in the `Allow` header.',
  },
  conflict: {
    status: 409,
    title: 'Conflict',
    meaning:
      'The request is valid but the resource’s state refuses it: an illegal booking status transition, a car with upcoming bookings, ' +
      'an Idempotency-Key reused with another body, an e-mail or agency already registered, a photo limit reached.',
    action: 'Read `detail`, fetch the resource’s current state, and change the request accordingly; repeating it unchanged gives the same answer.',
  },
  'dates-not-available': {
    status: 409,
    title: 'Dates not available',
    meaning: 'Another booking or a maintenance block already holds some of these days of the car (date ranges are inclusive on both ends).',
    action: 'Pick other dates (GET /api/v1/cars/{id}/ lists `unavailable_ranges`) or another car (GET /api/v1/cars/ lists only free ones).',
  },
  'rental-rule': {
    status: 409,
    title: 'Rental rule not met',
    meaning:
      'The agency rents this car by a rule the request breaks; the `rule` member names it: `min_rental_days`, `min_notice`, `max_lead_days`, ' +
      '`delivery` (the agency does not deliver to that landmark) or `opening_hours` (a hand-over outside the opening hours, which the agency does not offer).',
    action:
      'Read `detail`, then change the dates, times or places (GET /api/v1/cars/{id}/ shows the car’s rules, and GET /api/v1/cars/ lists only cars the request can book).',
  },
  'payload-too-large': {
    status: 413,
    title: 'Payload too large',
    meaning: `The request body is over the route’s limit (${kibibytes(MAX_JSON_BODY_BYTES)} of JSON; ${kibibytes(MAX_RAW_BODY_BYTES)} for the Stripe webhook), or the size declared for a photo upload is over ${MAX_IMAGE_BYTES / 1024 / 1024} MiB.`,
    action: 'Send a smaller body or photo.',
  },
  'unsupported-media-type': {
    status: 415,
    title: 'Unsupported media type',
    meaning: 'A photo upload declared, or turned out to be, a type other than JPEG, PNG or WebP.',
    action: 'Upload the photo as image/jpeg, image/png or image/webp, declared with the type it really has.',
  },
  'too-many-requests': {
    status: 429,
    title: 'Too many requests',
    meaning:
      'A limit was reached: unpaid bookings held at once, bookings in the last hour, or verification codes sent; the problem may name it (`limit`, `max`).',
    action: 'Wait the number of seconds in the `Retry-After` header (paying or cancelling a held booking frees a slot at once).',
  },
  // Answered by WAF in front of the API in AWS (lib/waf-stack.ts), not by the API itself.
  'rate-limited': {
    status: 429,
    title: 'Too many requests',
    meaning: 'Too many requests came from your address in the last few minutes, whatever their route; the firewall in front of the API refused this one.',
    action: 'Slow down and retry in a few minutes. Clients behind one shared address (an office, a carrier NAT) share the limit.',
  },
  'service-unavailable': {
    status: 503,
    title: 'Service unavailable',
    meaning: 'The database or the payment provider could not be reached in time. Nothing was half-written.',
    action: 'Retry after the `Retry-After` header’s seconds; a booking retried with the same Idempotency-Key converges on one booking.',
  },
  'internal-error': {
    status: 500,
    title: 'Internal server error',
    meaning: 'Something failed on our side. It was logged under the request id (the `x-request-id` header).',
    action: 'Retry later; if it persists, report the request id.',
  },
} as const satisfies Record<string, ProblemTypeInfo>;

export type ProblemSlug = keyof typeof PROBLEM_TYPES;

export function isProblemSlug(slug: string): slug is ProblemSlug {
  return Object.hasOwn(PROBLEM_TYPES, slug);
}
