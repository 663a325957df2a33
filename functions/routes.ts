import { agencyRoutes } from './api/agency/routes';
import { authRoutes } from './api/auth/routes';
import { bookingRoutes } from './api/bookings/routes';
import { searchRoutes } from './api/cars/routes';
import { reviewRoutes } from './api/reviews/routes';
import { serviceRoutes } from './api/service/routes';
import type { RouteDefinition } from './platform/route';

/**
 * THE route table. The CDK stack makes one Lambda function and one HTTP API route (serving
 * both slash forms) per entry; the local server dispatches to the same handler modules; the
 * OpenAPI document is generated from it. Each area keeps its entries (and their schemas)
 * in functions/api/<area>/routes.ts; a route exists only there.
 */
export const routes: RouteDefinition[] = [
  ...Object.values(serviceRoutes),
  ...Object.values(authRoutes),
  ...Object.values<RouteDefinition>(agencyRoutes),
  ...Object.values<RouteDefinition>(searchRoutes),
  ...Object.values(bookingRoutes),
  ...Object.values(reviewRoutes),
];
