/**
 * Typed domain errors. Core code throws these; the HTTP error middleware is the one place
 * that turns them into problem+json answers, so the status of each rule is decided here.
 */
export interface FieldProblem {
  path: string;
  message: string;
}

export abstract class DomainError extends Error {
  abstract readonly status: number;
  abstract readonly title: string;
  /** The problem `type` slug, documented in the API reference. */
  abstract readonly slug: string;
  readonly errors?: FieldProblem[];
  readonly headers?: Record<string, string>;
  /** RFC 9457 extension members, answered beside type, title, status and detail. */
  readonly extensions?: Record<string, unknown>;

  constructor(detail: string, options?: DomainErrorOptions) {
    super(detail, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    if (options?.errors) this.errors = options.errors;
    if (options?.headers) this.headers = options.headers;
    if (options?.extensions) this.extensions = options.extensions;
  }
}

export interface DomainErrorOptions {
  errors?: FieldProblem[];
  headers?: Record<string, string>;
  extensions?: Record<string, unknown>;
  cause?: unknown;
}

export class ValidationError extends DomainError {
  readonly status = 400;
  readonly title: string = 'Invalid request';
  readonly slug: string = 'validation-error';
}

export class Unauthorized extends DomainError {
  readonly status = 401;
  readonly title: string = 'Unauthorized';
  readonly slug: string = 'unauthorized';
  constructor(detail = 'A valid access token is required.') {
    super(detail, { headers: { 'www-authenticate': 'Bearer' } });
  }
}

export class Forbidden extends DomainError {
  readonly status = 403;
  readonly title: string = 'Forbidden';
  readonly slug: string = 'forbidden';
}

export class NotFound extends DomainError {
  readonly status = 404;
  readonly title: string = 'Not found';
  readonly slug: string = 'not-found';
}

export class MethodNotAllowed extends DomainError {
  readonly status = 405;
  readonly title: string = 'Method not allowed';
  readonly slug: string = 'method-not-allowed';
  constructor(allowed: string[]) {
    super(`This path accepts ${allowed.join(', ')}.`, { headers: { allow: allowed.join(', ') } });
  }
}

export class Conflict extends DomainError {
  readonly status = 409;
  readonly title: string = 'Conflict';
  readonly slug: string = 'conflict';
}

/** The requested dates overlap a reservation that holds them (or the constraint said so). */
export class BookingConflict extends Conflict {
  override readonly title: string = 'Dates not available';
  override readonly slug: string = 'dates-not-available';
  constructor(detail = 'The car is not available for these dates.', options?: { cause?: unknown }) {
    super(detail, options);
  }
}

/**
 * The rental rules a request can break, by the name a 409 rental-rule problem gives in `rule`
 * (checked by rentalRuleBroken(), core/pricing/terms.ts, which re-exports them). Here rather
 * than there because terms.ts imports this module.
 */
export const RENTAL_RULES = ['min_rental_days', 'min_notice', 'max_lead_days', 'delivery', 'opening_hours'] as const;
export type RentalRule = (typeof RENTAL_RULES)[number];

/** The agency's rental rules refuse this request (minimum days, notice, lead time, delivery, opening hours); `rule` names which. */
export class RentalRuleBroken extends Conflict {
  override readonly title: string = 'Rental rule not met';
  override readonly slug: string = 'rental-rule';
  readonly rule: RentalRule;
  constructor(rule: RentalRule, detail: string) {
    super(detail, { extensions: { rule } });
    this.rule = rule;
  }
}

export class PayloadTooLarge extends DomainError {
  readonly status = 413;
  readonly title: string = 'Payload too large';
  readonly slug: string = 'payload-too-large';
}

export class UnsupportedMediaType extends DomainError {
  readonly status = 415;
  readonly title: string = 'Unsupported media type';
  readonly slug: string = 'unsupported-media-type';
}

/** Too many requests of a kind in a window (a rate or hold limit); says when to come back. */
export class TooManyRequests extends DomainError {
  readonly status = 429;
  readonly title: string = 'Too many requests';
  readonly slug: string = 'too-many-requests';
  constructor(detail: string, retryAfterSeconds: number, options?: Omit<DomainErrorOptions, 'headers'>) {
    super(detail, { headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) }, ...options });
  }
}

export class ServiceUnavailable extends DomainError {
  readonly status = 503;
  readonly title: string = 'Service unavailable';
  readonly slug: string = 'service-unavailable';
  constructor(detail = 'The service is temporarily unavailable. Please retry shortly.', options?: Omit<DomainErrorOptions, 'headers'>) {
    super(detail, { headers: { 'retry-after': '5' }, ...options });
  }
}

/**
 * The SQLSTATE of a PostgreSQL error, if it is one: the standard classes, and the refusals our
 * own database functions raise (hold_booking(): RB404, RB409 …).
 */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}
