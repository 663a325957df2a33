import type { RouteDefinition } from '../functions/platform/route';
import type { StageSettings, Throttle } from './stage';

/** The route's own throttle (its `throttle` class in the route table), or undefined when the stage default applies. */
export function routeThrottle(route: RouteDefinition, stage: StageSettings): Throttle | undefined {
  return route.throttle ? stage.throttle[route.throttle] : undefined;
}
