import { describe, expect, it } from 'vitest';
import { apiGatewayPath, matchRoute } from '#platform/router';
import { routes } from '#routes';

describe('the route table', () => {
  it('serves a path with and without its trailing slash', () => {
    expect(matchRoute('GET', '/api/v1/health/')).toMatchObject({ kind: 'found', route: { path: '/health/' } });
    expect(matchRoute('GET', '/api/v1/health')).toMatchObject({ kind: 'found', route: { path: '/health/' } });
  });

  it('extracts path parameters', () => {
    expect(matchRoute('GET', '/api/v1/docs/assets/swagger-ui.css')).toMatchObject({
      kind: 'found',
      params: { file: 'swagger-ui.css' },
    });
  });

  it('tells a wrong method from an unknown path', () => {
    expect(matchRoute('DELETE', '/api/v1/health/')).toEqual({ kind: 'wrong-method', allowed: ['GET'] });
    expect(matchRoute('GET', '/api/v1/nowhere/')).toEqual({ kind: 'not-found' });
    expect(matchRoute('GET', '/health/')).toEqual({ kind: 'not-found' });
  });

  it('gives API Gateway the path without its trailing slash (it refuses one, and matches both forms)', () => {
    const health = routes.find((route) => route.path === '/health/')!;
    expect(apiGatewayPath(health)).toBe('/api/v1/health');
  });

  it('has no two routes with the same method and path', () => {
    const keys = routes.map((route) => `${route.method} ${route.path.replace(/\/$/, '')}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
