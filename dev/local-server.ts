import { randomUUID } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { handler as notFound } from '#functions/api/service/not-found';
import { problemType } from '#platform/problem';
import { matchRoute } from '#platform/router';

type LambdaHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

const FUNCTIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../functions');
/** API Gateway HTTP APIs refuse payloads over 10 MB. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

const handlers = new Map<string, Promise<LambdaHandler>>();

function loadHandler(modulePath: string): Promise<LambdaHandler> {
  let loaded = handlers.get(modulePath);
  if (!loaded) {
    loaded = import(path.join(FUNCTIONS_DIR, `${modulePath}.ts`)).then((module: { handler: LambdaHandler }) => module.handler);
    handlers.set(modulePath, loaded);
  }
  return loaded;
}

const TEXT_TYPES = /^(application\/(json|[\w.+-]*\+json|x-www-form-urlencoded|xml)|text\/)/i;

/**
 * The request target as a URL if it is a path (origin-form), else undefined. Resolved against a
 * base, `//x` would be a host named x (and a bare `//` throws), so the path is appended to an
 * origin instead and stays the path it is. An absolute URL (`GET http://host/… HTTP/1.1`), `*`
 * or anything unparsable is no path: API Gateway only ever passes paths on.
 */
export function originFormUrl(target: string | undefined): URL | undefined {
  if (!target?.startsWith('/')) return undefined;
  try {
    return new URL(`http://localhost${target}`);
  } catch {
    return undefined;
  }
}

/** The API Gateway HTTP API (payload v2) event for a node:http request, as AWS would send it. */
export function toApiGatewayEvent(
  request: http.IncomingMessage,
  body: Buffer,
  routeKey: string,
  pathParameters: Record<string, string> | undefined,
  url: URL = originFormUrl(request.url) ?? new URL('http://localhost/'),
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined && name !== 'cookie') headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  // Like API Gateway, repeated query keys are joined with commas.
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams) query[key] = key in query ? `${query[key]},${value}` : value;
  const contentType = request.headers['content-type'] ?? '';
  const isText = body.length === 0 || TEXT_TYPES.test(contentType);
  const now = new Date();
  const cookies = request.headers.cookie?.split(';').map((cookie) => cookie.trim());
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(cookies ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    ...(pathParameters && Object.keys(pathParameters).length > 0 ? { pathParameters } : {}),
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: request.headers.host ?? 'localhost',
      domainPrefix: 'localhost',
      http: {
        method: request.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: request.headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0 ? { body: isText ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: !isText,
  };
}

function lambdaContext(functionName: string, requestId: string): Context {
  const deadline = Date.now() + 29_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

async function readBody(request: http.IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function writeResult(response: http.ServerResponse, result: APIGatewayProxyStructuredResultV2): void {
  // setHeader, not writeHead's header object: only these stay readable (getHeader) for the access log.
  for (const [name, value] of Object.entries(result.headers ?? {})) response.setHeader(name, String(value));
  if (result.cookies?.length) response.setHeader('set-cookie', result.cookies);
  const body = result.body === undefined ? undefined : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
  response.writeHead(result.statusCode ?? 200);
  response.end(body);
}

const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET,POST,PUT,PATCH,DELETE,OPTIONS',
  'access-control-allow-headers': 'authorization,content-type,idempotency-key,stripe-signature',
  'access-control-max-age': '600',
};

/** On every answer, like the HTTP API's corsPreflight.exposeHeaders (lib/api.ts): what browser scripts may read. */
const CORS_RESPONSE_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'location,retry-after,idempotent-replayed,x-request-id',
};

/** This server's own refusals (before any handler): problem+json, never cached, like the handlers'. */
function ownProblem(response: http.ServerResponse, status: number, slug: string, title: string, detail: string): void {
  writeResult(response, {
    statusCode: status,
    headers: { ...CORS_RESPONSE_HEADERS, 'content-type': 'application/problem+json', 'cache-control': 'no-store' },
    body: JSON.stringify({ type: problemType(slug), title, status, detail }),
  });
}

/**
 * One plain line per answered request, e.g.
 * `14:54:35 GET /api/v1/cars/?start_date=2027-01-10&end_date=2027-01-13 200 14 ms 712e3615-…`:
 * method, request target, status, milliseconds from the request's arrival to the answer's
 * last byte, and the request id the answer carries in x-request-id (`-` for this server's own
 * refusals and CORS preflights, which reach no handler). Plain text rather than the handlers'
 * Powertools JSON: a person reads it in a terminal, and in AWS API Gateway's access log
 * (lib/api.ts) is the JSON record of the same facts.
 */
function logWhenAnswered(request: http.IncomingMessage, response: http.ServerResponse, log: (line: string) => void): void {
  const arrived = performance.now();
  response.once('close', () => {
    const ms = Math.round(performance.now() - arrived);
    const requestId = response.getHeader('x-request-id') ?? '-';
    // A client that hung up before the whole answer was sent still gets its line.
    const status = response.writableFinished ? String(response.statusCode) : `${response.headersSent ? response.statusCode : '-'} (client gone)`;
    const time = new Date().toTimeString().slice(0, 8);
    log(`${time} ${request.method} ${request.url} ${status} ${ms} ms ${String(requestId)}`);
  });
}

/**
 * The local API: node:http in front of the very handlers Lambda runs. Each request becomes
 * the API Gateway v2 event AWS would send, the route table picks the handler module, and the
 * structured result is written back. One code path for Lambda and local. `accessLog` gets one
 * line per request (`npm run dev` prints them; the tests pass none and stay quiet).
 */
export function createLocalServer(options: { accessLog?: (line: string) => void } = {}): http.Server {
  const serve = async (request: http.IncomingMessage, response: http.ServerResponse): Promise<void> => {
    if (options.accessLog) logWhenAnswered(request, response, options.accessLog);
    try {
      if (request.method === 'OPTIONS') {
        // API Gateway answers CORS preflights itself (corsPreflight in the CDK stack).
        response.writeHead(204, CORS_HEADERS);
        response.end();
        return;
      }
      const body = await readBody(request);
      if (body === undefined) {
        ownProblem(response, 413, 'payload-too-large', 'Payload too large', 'Request bodies are limited to 10 MB.');
        return;
      }
      const url = originFormUrl(request.url);
      if (!url) {
        ownProblem(response, 400, 'bad-request', 'Bad request', 'The request target must be a path, such as /api/v1/health/.');
        return;
      }
      // Like API Gateway: a method no route declares (HEAD included) finds no route and goes to
      // the catch-all, which answers 405 + Allow. No local special cases, so local = AWS.
      const match = matchRoute(request.method ?? 'GET', url.pathname);
      const routeKey = match.kind === 'found' ? `${match.route.method} /api/v1${match.route.path}` : '$default';
      const event = toApiGatewayEvent(request, body, routeKey, match.kind === 'found' ? match.params : undefined, url);
      const handler = match.kind === 'found' ? await loadHandler(match.route.handler) : notFound;
      const functionName = match.kind === 'found' ? match.route.handler.replaceAll('/', '-') : 'not-found';
      const result = await handler(event, lambdaContext(functionName, event.requestContext.requestId));
      result.headers = { ...CORS_RESPONSE_HEADERS, ...result.headers };
      // A HEAD response has no body (API Gateway drops it too).
      if (request.method === 'HEAD') result.body = undefined;
      writeResult(response, result);
    } catch (error) {
      // Handlers answer their own errors; reaching here is a bug in this server.
      console.error('local server error', error);
      if (!response.headersSent) ownProblem(response, 500, 'internal-error', 'Internal server error', 'Something went wrong on our side.');
      else response.end();
    }
  };
  // serve() answers every error itself (a 500 at worst), so nothing is left to reject.
  return http.createServer((request, response) => void serve(request, response));
}

/** Listens on 127.0.0.1 (port 0 picks a free one) and resolves with the base URL. */
export function listen(server: http.Server, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      resolve(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`);
    });
  });
}
