import type http from 'node:http';
import { afterAll, beforeAll } from 'vitest';
import { createLocalServer, listen } from '../../dev/local-server';

export interface ApiAnswer<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface RequestOptions {
  token?: string;
  body?: unknown;
  /** Sent as-is instead of JSON-encoding `body`. */
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface TestApi {
  baseUrl: string;
  request<T = any>(method: string, path: string, options?: RequestOptions): Promise<ApiAnswer<T>>;
  get<T = any>(path: string, options?: RequestOptions): Promise<ApiAnswer<T>>;
  post<T = any>(path: string, body?: unknown, options?: RequestOptions): Promise<ApiAnswer<T>>;
  patch<T = any>(path: string, body?: unknown, options?: RequestOptions): Promise<ApiAnswer<T>>;
  delete<T = any>(path: string, options?: RequestOptions): Promise<ApiAnswer<T>>;
}

/**
 * The local server (the same one `npm run dev` runs) on a free port for this test file.
 * Paths are relative to /api/v1. Call at the top level of a test file.
 */
export function useApi(): TestApi {
  let server: http.Server | undefined;
  let baseUrl = '';
  beforeAll(async () => {
    server = createLocalServer();
    baseUrl = await listen(server, 0);
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });
  const request = async <T>(method: string, path: string, options: RequestOptions = {}): Promise<ApiAnswer<T>> => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined = options.rawBody;
    if (body === undefined && options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${baseUrl}/api/v1${path}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    if (/json/.test(response.headers.get('content-type') ?? '') && text) parsed = JSON.parse(text);
    return { status: response.status, headers: response.headers, body: parsed as T, text };
  };
  return {
    get baseUrl() {
      return baseUrl;
    },
    request,
    get: (path, options) => request('GET', path, options),
    post: (path, body, options) => request('POST', path, { ...options, body }),
    patch: (path, body, options) => request('PATCH', path, { ...options, body }),
    delete: (path, options) => request('DELETE', path, options),
  };
}
