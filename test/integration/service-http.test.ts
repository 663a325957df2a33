import { afterEach, describe, expect, it, vi } from 'vitest';
import { handler as catchAll } from '#functions/api/service/not-found';
import { logger } from '#platform/logger';
import { useApi, type ApiAnswer } from '../helpers/api';
import { apiEvent } from '../helpers/events';

const api = useApi();

function expectProblem(answer: ApiAnswer, status: number) {
  expect(answer.status).toBe(status);
  expect(answer.headers.get('content-type')).toBe('application/problem+json');
  expect(answer.body).toMatchObject({ type: expect.any(String), title: expect.any(String), status, detail: expect.any(String) });
}

describe('GET /health/', () => {
  it.each(['/health/', '/health'])('answers %s with 200 {status: ok, database: ok} (both slash forms, no redirect)', async (path) => {
    const answer = await api.get(path);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    expect(answer.body).toEqual({ status: 'ok', database: 'ok' });
  });

  it.each(['DELETE', 'PUT', 'PATCH', 'POST'])('answers %s with 405 problem+json and Allow: GET', async (method) => {
    const answer = await api.request(method, '/health/', { body: { status: 'down' } });
    expectProblem(answer, 405);
    expect(answer.headers.get('allow')).toBe('GET');
  });

  it('answers HEAD with 405 and Allow: GET, no body: no route declares HEAD, so locally as in AWS it reaches the catch-all', async () => {
    const answer = await api.request('HEAD', '/health/');
    expect(answer.status).toBe(405);
    expect(answer.headers.get('allow')).toBe('GET');
    expect(answer.headers.get('content-type')).toBe('application/problem+json');
    expect(answer.text).toBe('');
  });
});

describe('GET /openapi.json and /docs/', () => {
  it('serves the OpenAPI 3.1 document of the routes, paths under /api/v1 with their trailing slash', async () => {
    const answer = await api.get('/openapi.json');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    expect(answer.body.openapi).toBe('3.1.0');
    expect(answer.body.info.title).toEqual(expect.any(String));
    expect(Object.keys(answer.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/health/',
        '/api/v1/openapi.json',
        '/api/v1/docs/',
        '/api/v1/docs/assets/{file}',
        '/api/v1/auth/register/',
        '/api/v1/auth/token/',
        '/api/v1/me/',
      ]),
    );
    expect(answer.body.paths['/api/v1/health/'].get.responses).toHaveProperty('200');
    expect(answer.body.paths['/api/v1/health/'].get.responses).toHaveProperty('503');
    expect(answer.body.components.schemas).toHaveProperty('Problem');
  });

  it.each(['/docs/', '/docs'])('serves %s as an HTML page that loads Swagger UI from this API', async (path) => {
    const answer = await api.get(path);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/html/);
    expect(answer.text).toContain('/api/v1/docs/assets/swagger-ui-bundle.js');
    expect(answer.text).toContain('/api/v1/openapi.json');
  });

  it('serves the Swagger UI bundle the page references as JavaScript', async () => {
    const answer = await api.get('/docs/assets/swagger-ui-bundle.js');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/javascript/);
    expect(answer.text).toContain('SwaggerUIBundle');
  });

  it('serves the Swagger UI stylesheet as CSS', async () => {
    const answer = await api.get('/docs/assets/swagger-ui.css');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/css/);
  });

  it.each(['nope.js', 'package.json', 'index.html', '..%2Fpackage.json', '%2E%2E%2F%2E%2E%2Fpackage.json'])(
    'answers an asset that is not on the list (%s) with 404 problem+json',
    async (file) => {
      expectProblem(await api.get(`/docs/assets/${file}`), 404);
    },
  );

  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty'])(
    'answers an asset named like an Object.prototype member (%s) with 404, not 500',
    async (file) => {
      expectProblem(await api.get(`/docs/assets/${file}`), 404);
    },
  );
});

describe('unknown paths and odd requests', () => {
  it('answers an unknown path with a 404 problem document', async () => {
    const answer = await api.get('/nowhere/at/all/');
    expectProblem(answer, 404);
    expect(Object.keys(answer.body).sort()).toEqual(['detail', 'status', 'title', 'type']);
  });

  it('answers a path outside /api/v1 with 404 problem+json too', async () => {
    const response = await fetch(`${api.baseUrl}/health/`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
  });

  it.each(['/health/', '/health', '/openapi.json'])('ignores query junk on %s (never 5xx)', async (path) => {
    const answer = await api.get(`${path}?a=%ZZ&b[]=1&b[]=2&c=%00&x=${'y'.repeat(5000)}`);
    expect(answer.status).toBe(200);
  });

  it.each(['/docs/assets/%ZZ', '/docs/assets/%E0%A4%A', '/docs/assets/%'])(
    'answers a path parameter with malformed percent-encoding (%s) with 4xx problem+json, not 500',
    async (path) => {
      const answer = await api.get(path);
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
      expect(answer.headers.get('content-type')).toBe('application/problem+json');
    },
  );

  it('never answers an odd request with 5xx', async () => {
    const odd: Array<[string, string, { rawBody?: string; headers?: Record<string, string> }?]> = [
      ['GET', '/health//'],
      ['GET', '/HEALTH/'],
      ['GET', '/health/%00'],
      ['GET', `/${'a'.repeat(4000)}/`],
      ['GET', '/docs/assets/'],
      ['GET', '/docs/assets/a%2Fb.js'],
      ['GET', `/docs/assets/${'x'.repeat(500)}.js`],
      ['PROPFIND', '/health/'],
      ['OPTIONS', '/health/'],
      ['POST', '/openapi.json', { rawBody: '{"openapi":', headers: { 'content-type': 'application/json' } }],
      ['POST', '/auth/token/', { rawBody: '{not json', headers: { 'content-type': 'application/json' } }],
      ['POST', '/auth/token/', { rawBody: 'email=a&password=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } }],
      ['POST', '/auth/register/', { rawBody: JSON.stringify({ email: 'x'.repeat(100_000) }), headers: { 'content-type': 'application/json' } }],
      ['GET', '/me/', { headers: { authorization: 'Bearer not.a.jwt' } }],
      ['GET', '/me/', { headers: { authorization: 'Basic Zm9vOmJhcg==' } }],
    ];
    const failures: string[] = [];
    for (const [method, path, options] of odd) {
      const answer = await api.request(method, path, options);
      if (answer.status >= 500) failures.push(`${method} ${path.slice(0, 60)} → ${answer.status}`);
    }
    expect(failures).toEqual([]);
  });
});

/**
 * The $default catch-all, called as API Gateway calls it. A request the route table serves
 * reaching it means API Gateway misrouted it (say, `/x/` not mapped to the route `/x`).
 */
describe('the catch-all ($default)', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  async function callCatchAll(method: string, path: string) {
    const result = await catchAll(apiEvent({ method, path }));
    return { ...result, problem: JSON.parse(result.body ?? '') };
  }

  it.each(['/api/v1/health/', '/api/v1/health'])(
    'logs an error naming the path when API Gateway sends it a route the table serves (GET %s), and answers 404 problem+json',
    async (path) => {
      const logged = vi.spyOn(logger, 'error');
      const result = await callCatchAll('GET', path);
      expect(result.statusCode).toBe(404);
      expect(result.headers?.['content-type']).toBe('application/problem+json');
      expect(result.problem).toMatchObject({ type: '/api/v1/problems/not-found/', status: 404, detail: expect.any(String) });
      expect(logged).toHaveBeenCalledTimes(1);
      expect(logged.mock.calls[0]![1]).toMatchObject({ method: 'GET', path, route: 'GET /health/' });
    },
  );

  it('answers a known path with a method no route declares with 405 + Allow, logging no error (that is the client’s mistake)', async () => {
    const logged = vi.spyOn(logger, 'error');
    const result = await callCatchAll('DELETE', '/api/v1/health/');
    expect(result.statusCode).toBe(405);
    expect(result.headers?.allow).toBe('GET');
    expect(result.problem).toMatchObject({ type: '/api/v1/problems/method-not-allowed/', status: 405 });
    expect(logged).not.toHaveBeenCalled();
  });

  it('answers an unknown path with 404 problem+json, logging no error', async () => {
    const logged = vi.spyOn(logger, 'error');
    const result = await callCatchAll('GET', '/api/v1/nowhere/');
    expect(result.statusCode).toBe(404);
    expect(Object.keys(result.problem).sort()).toEqual(['detail', 'status', 'title', 'type']);
    expect(logged).not.toHaveBeenCalled();
  });
});
