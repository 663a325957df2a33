import { routeKey, type RouteDefinition } from '../functions/platform/route';
import type { StageSettings, Throttle, ThrottleClasses } from './stage';

/**
 * Routes throttled tighter than the API's default, by route-table key (`METHOD /path/`). API
 * Gateway limits a route for all callers together, so these numbers protect what is behind
 * the route, not fairness between clients (that needs WAF: docs/operations.md).
 *
 * - auth: every call reaches Cognito (AdminCreateUser and friends, InitiateAuth), whose
 *   per-account quotas are shared by every stage in the account; a password-guessing burst
 *   should hit our 429 before it hits Cognito's TooManyRequests for everybody.
 * - booking: one database transaction and one Stripe PaymentIntent per call.
 */
export const ROUTE_THROTTLE_CLASSES: Readonly<Record<string, Exclude<keyof ThrottleClasses, 'default'>>> = {
  'POST /auth/register/': 'auth',
  'POST /auth/token/': 'auth',
  'POST /auth/token/refresh/': 'auth',
  'POST /bookings/': 'booking',
};

export { routeKey };

/** Refuses a throttle entry that names no route of the table (a renamed route would silently lose its limit). */
export function assertThrottledRoutesExist(table: readonly RouteDefinition[]): void {
  const known = new Set(table.map(routeKey));
  const missing = Object.keys(ROUTE_THROTTLE_CLASSES).filter((key) => !known.has(key));
  if (missing.length > 0) throw new Error(`lib/throttling.ts names routes that are not in the route table: ${missing.join(', ')}`);
}

/** The route's own throttle, or undefined when the stage default applies. */
export function routeThrottle(route: RouteDefinition, stage: StageSettings): Throttle | undefined {
  const throttleClass = ROUTE_THROTTLE_CLASSES[routeKey(route)];
  return throttleClass ? stage.throttle[throttleClass] : undefined;
}
