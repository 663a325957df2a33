import { routes } from '#routes';
import { API_PREFIX, type RouteDefinition } from './route';

interface CompiledRoute {
  route: RouteDefinition;
  pattern: RegExp;
  paramNames: string[];
}

/** Trailing slash optional, so `/health` and `/health/` are the same route (the contract writes paths with one; clients often drop it). */
function compile(route: RouteDefinition): CompiledRoute {
  const paramNames: string[] = [];
  const trimmed = (API_PREFIX + route.path).replace(/\/$/, '');
  const source = trimmed
    .split('/')
    .map((segment) => {
      const param = segment.match(/^\{(\w+)\}$/);
      if (param?.[1]) {
        paramNames.push(param[1]);
        return '([^/]+)';
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { route, pattern: new RegExp(`^${source}/?$`), paramNames };
}

const compiled = routes.map(compile);

export type RouteMatch =
  { kind: 'found'; route: RouteDefinition; params: Record<string, string> } | { kind: 'wrong-method'; allowed: string[] } | { kind: 'not-found' };

export function matchRoute(method: string, path: string): RouteMatch {
  const allowed: string[] = [];
  for (const candidate of compiled) {
    const match = candidate.pattern.exec(path);
    if (!match) continue;
    if (candidate.route.method !== method.toUpperCase()) {
      allowed.push(candidate.route.method);
      continue;
    }
    const params: Record<string, string> = {};
    try {
      candidate.paramNames.forEach((name, index) => {
        params[name] = decodeURIComponent(match[index + 1]!);
      });
    } catch {
      continue; // malformed percent-encoding: no route has such a parameter (→ 404, not a 500)
    }
    return { kind: 'found', route: candidate.route, params };
  }
  return allowed.length > 0 ? { kind: 'wrong-method', allowed } : { kind: 'not-found' };
}

/**
 * The HTTP API route path of an entry. API Gateway refuses route paths ending in '/', and
 * routes a request for `/x/` to the route `/x`, so one route serves both slash forms.
 */
export function apiGatewayPath(route: RouteDefinition): string {
  return (API_PREFIX + route.path).replace(/\/$/, '');
}
