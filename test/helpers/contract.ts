import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

/**
 * The contract check of test/integration/contract*.test.ts: a real answer of the API is looked
 * up in the OpenAPI 3.1 document the API serves (operation by method and path template,
 * response by status, media type by Content-Type) and its body and declared headers are
 * validated with ajv (OpenAPI 3.1 schemas are JSON Schema 2020-12). Every answer checked is
 * recorded, so a test can ask at the end which operation never had a validated success or a
 * validated problem+json error.
 */

type JsonObject = Record<string, unknown>;

export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, JsonObject>>;
  components?: JsonObject;
  [key: string]: unknown;
}

/** One answer as the client saw it. */
export interface ContractAnswer {
  method: string;
  /** The path requested, from the origin (`/api/v1/cars/?start_date=…`); the query is ignored. */
  path: string;
  status: number;
  headers: Headers;
  text: string;
}

/**
 * A mismatch between document and API already reported, so the test stays meaningful while it
 * is fixed: the finding is tolerated for that operation and status only, and a listed mismatch
 * that no answer shows any more fails the test (the entry must then go).
 */
export interface KnownMismatch {
  /** `GET /api/v1/cars/{id}/`, as the document writes the path. */
  operation: string;
  status: number;
  /** Matched against the finding's message. */
  finding: RegExp;
  /** What is wrong, and on which side (document or API). */
  why: string;
}

export interface Inspection {
  /** The operation found, e.g. `GET /api/v1/cars/{id}/`; undefined if the document has none. */
  operation?: string;
  /** Findings not covered by a known mismatch: each names the operation and the status. */
  findings: string[];
  /** Findings tolerated by a known mismatch. */
  known: string[];
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const DOCUMENT_ID = 'urn:contract:openapi';

/** Document keys whose values are schemas (JSON Schema 2020-12) or hold schemas, as we walk a copy of it. */
const SCHEMA_MAPS = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'] as const;
const SCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf', 'prefixItems'] as const;
const SCHEMA_SINGLES = [
  'items',
  'additionalProperties',
  'unevaluatedProperties',
  'not',
  'if',
  'then',
  'else',
  'contains',
  'propertyNames',
  'unevaluatedItems',
] as const;

interface Operation {
  key: string;
  pattern: RegExp;
  /** How many path parameters the template has: fewer is more specific. */
  templated: number;
  operation: JsonObject;
}

export class Contract {
  private readonly ajv: Ajv2020;
  private readonly document: OpenApiDocument;
  private readonly operations: Operation[] = [];
  private readonly validators = new Map<object, ValidateFunction>();
  /** operation → status → whether some answer with it had no unexpected finding. */
  private readonly seen = new Map<string, Map<number, { clean: boolean; problem: boolean }>>();
  private readonly knownSeen = new Set<KnownMismatch>();

  /**
   * @param document the OpenAPI document, as served
   * @param options.closed validate every object schema as closed (no property it does not
   *   declare), as a strict client generated from it would read the answers; the document's
   *   own schemas are open, so without this an undocumented field in an answer goes unseen
   * @param options.known mismatches already reported (see KnownMismatch)
   */
  constructor(
    document: OpenApiDocument,
    private readonly options: { closed?: boolean; known?: readonly KnownMismatch[] } = {},
  ) {
    this.document = structuredClone(document);
    absolutiseRefs(this.document);
    if (options.closed ?? true) closeObjectSchemas(this.document);
    // OpenAPI adds keywords of its own (example, discriminator, xml…) and the document's top
    // level is no schema at all: strictSchema off lets ajv ignore them instead of refusing.
    this.ajv = new Ajv2020({ allErrors: true, strictSchema: false, strictTypes: false, strictTuples: false, validateSchema: false });
    addFormats(this.ajv);
    this.ajv.addSchema(this.document, DOCUMENT_ID);
    for (const [template, item] of Object.entries(this.document.paths)) {
      for (const method of METHODS) {
        const operation = item[method];
        if (!operation) continue;
        const segments = template.split(/(\{[^}]+\})/);
        const source = segments.map((segment) => (/^\{[^}]+\}$/.test(segment) ? '[^/]+' : escapeRegExp(segment))).join('');
        this.operations.push({
          key: `${method.toUpperCase()} ${template}`,
          pattern: new RegExp(`^${source}$`),
          templated: segments.filter((segment) => /^\{[^}]+\}$/.test(segment)).length,
          operation,
        });
      }
    }
    this.operations.sort((a, b) => a.templated - b.templated);
  }

  /** Every operation of the document, as `METHOD /path/template`. */
  operationKeys(): string[] {
    return this.operations.map((operation) => operation.key);
  }

  /** The operation a request goes to, the way API Gateway matches routes (both slash forms). */
  operationOf(method: string, path: string): string | undefined {
    return this.find(method, path)?.key;
  }

  /** Literal paths before templated ones, so `/cars/landmarks/` would not be read as `/cars/{id}/`. */
  private find(method: string, path: string): Operation | undefined {
    const pathname = path.split('?')[0]!;
    const forms = pathname.endsWith('/') ? [pathname] : [pathname, `${pathname}/`];
    for (const form of forms) {
      const found = this.operations.find((operation) => operation.key.startsWith(`${method.toUpperCase()} `) && operation.pattern.test(form));
      if (found) return found;
    }
    return undefined;
  }

  /** Checks one answer against the document and records it for coverageGaps() and coverage(). */
  inspect(answer: ContractAnswer): Inspection {
    const operation = this.find(answer.method, answer.path);
    const where = `${operation?.key ?? `${answer.method.toUpperCase()} ${answer.path.split('?')[0]}`} → ${answer.status}`;
    const raw = operation ? this.findingsOf(operation, answer) : ['the document has no operation for this method and path'];
    const findings: string[] = [];
    const known: string[] = [];
    for (const message of raw) {
      const mismatch =
        operation && this.options.known?.find((entry) => entry.operation === operation.key && entry.status === answer.status && entry.finding.test(message));
      if (mismatch) {
        this.knownSeen.add(mismatch);
        known.push(`${where}: ${message} (known: ${mismatch.why})`);
      } else {
        findings.push(`${where}: ${message}\n  body: ${excerpt(answer.text)}`);
      }
    }
    if (operation) {
      const statuses = this.seen.get(operation.key) ?? new Map<number, { clean: boolean; problem: boolean }>();
      this.seen.set(operation.key, statuses);
      const before = statuses.get(answer.status);
      const problem = answer.status >= 400 && mediaTypeOf(answer.headers) === 'application/problem+json';
      statuses.set(answer.status, { clean: (before?.clean ?? false) || findings.length === 0, problem: (before?.problem ?? false) || problem });
    }
    return { ...(operation ? { operation: operation.key } : {}), findings, known };
  }

  private findingsOf(operation: Operation, answer: ContractAnswer): string[] {
    const responses = (operation.operation.responses ?? {}) as Record<string, unknown>;
    const declared =
      responses[String(answer.status)] ?? responses[`${String(answer.status)[0]}XX`] ?? responses[`${String(answer.status)[0]}xx`] ?? responses.default;
    if (declared === undefined) {
      return [`status ${answer.status} is not declared (declared: ${Object.keys(responses).join(', ')})`];
    }
    const response = this.resolve(declared);
    const findings: string[] = [];
    findings.push(...this.headerFindings(response, answer));
    const content = (response.content ?? {}) as Record<string, JsonObject>;
    const mediaType = mediaTypeOf(answer.headers);
    const declaredTypes = Object.keys(content);
    if (declaredTypes.length === 0) {
      if (answer.text !== '') findings.push(`the document declares no body, but the answer has one (${mediaType ?? 'no Content-Type'})`);
      return findings;
    }
    if (answer.text === '') return [...findings, `the document declares a body (${declaredTypes.join(', ')}), but the answer has none`];
    const media = mediaType === undefined ? undefined : mediaTypeEntry(content, mediaType);
    if (!media) return [...findings, `media type ${mediaType ?? '(no Content-Type)'} is not declared (declared: ${declaredTypes.join(', ')})`];
    if (media.schema === undefined) return findings;
    let body: unknown = answer.text;
    if (mediaType && isJson(mediaType)) {
      try {
        body = JSON.parse(answer.text);
      } catch {
        return [...findings, `the body is not JSON although the Content-Type is ${mediaType}`];
      }
    }
    const validate = this.validatorOf(media.schema as object);
    if (!validate(body)) findings.push(...(validate.errors ?? []).map((error) => `body${describe(error)}`));
    return findings;
  }

  /**
   * Declared headers: a required one must be there, and any that is there must match its
   * schema. And the other way round: a header the answer carries and exposes to browsers
   * (Access-Control-Expose-Headers, i.e. one meant for clients to read) must be declared.
   */
  private headerFindings(response: JsonObject, answer: ContractAnswer): string[] {
    const findings: string[] = [];
    const declaredNames = new Set(Object.keys(response.headers ?? {}).map((name) => name.toLowerCase()));
    const exposed = (answer.headers.get('access-control-expose-headers') ?? '')
      .split(',')
      .map((name) => name.trim().toLowerCase())
      .filter(Boolean);
    for (const name of exposed) {
      if (answer.headers.has(name) && !declaredNames.has(name)) findings.push(`header ${name} is sent (and exposed to browsers) but not declared`);
    }
    for (const [name, declared] of Object.entries((response.headers ?? {}) as Record<string, unknown>)) {
      const header = this.resolve(declared);
      const value = answer.headers.get(name);
      if (value === null) {
        if (header.required === true) findings.push(`header ${name} is required by the document but missing`);
        continue;
      }
      if (header.schema === undefined) continue;
      const schema = header.schema as object;
      const validate = this.validatorOf(schema);
      if (!validate(coerceHeader(value, this.resolve(schema)))) {
        findings.push(...(validate.errors ?? []).map((error) => `header ${name}: ${JSON.stringify(value)}${describe(error)}`));
      }
    }
    return findings;
  }

  private validatorOf(schema: object): ValidateFunction {
    let validate = this.validators.get(schema);
    if (!validate) {
      validate = this.ajv.compile(schema);
      this.validators.set(schema, validate);
    }
    return validate;
  }

  /** Follows `$ref`s within the document (responses, headers and schemas may be shared components). */
  private resolve(value: unknown): JsonObject {
    let current = value as JsonObject;
    for (let hops = 0; typeof current?.$ref === 'string' && hops < 20; hops++) {
      const ref = current.$ref;
      const pointer = ref.startsWith(`${DOCUMENT_ID}#`) ? ref.slice(DOCUMENT_ID.length + 1) : ref.replace(/^#/, '');
      current = pointer
        .split('/')
        .slice(1)
        .map((segment) => decodeURIComponent(segment).replaceAll('~1', '/').replaceAll('~0', '~'))
        .reduce<unknown>((node, segment) => (node as JsonObject | undefined)?.[segment], this.document) as JsonObject;
    }
    return current ?? {};
  }

  /**
   * Operations without a validated success answer, or without a validated problem+json error
   * answer although the document declares one they can give.
   */
  coverageGaps(): string[] {
    const gaps: string[] = [];
    for (const operation of this.operations) {
      const statuses = [...(this.seen.get(operation.key) ?? new Map<number, { clean: boolean; problem: boolean }>())];
      const successes = statuses.filter(([status, seen]) => status < 400 && seen.clean).map(([status]) => status);
      const errors = statuses.filter(([status, seen]) => status >= 400 && seen.clean && seen.problem).map(([status]) => status);
      if (successes.length === 0) gaps.push(`${operation.key}: no validated success answer`);
      if (errors.length === 0 && this.declaresProblems(operation)) gaps.push(`${operation.key}: no validated problem+json error answer`);
    }
    return gaps;
  }

  /** What was covered: how many operations had a validated success and error, and per operation the statuses validated. */
  coverage(): { operations: number; withSuccess: number; withError: number; pairs: number; byOperation: Record<string, number[]> } {
    const byOperation: Record<string, number[]> = {};
    let withSuccess = 0;
    let withError = 0;
    for (const operation of this.operations) {
      const clean = [...(this.seen.get(operation.key) ?? new Map<number, { clean: boolean; problem: boolean }>())].filter(([, seen]) => seen.clean);
      byOperation[operation.key] = clean.map(([status]) => status).sort((a, b) => a - b);
      if (clean.some(([status]) => status < 400)) withSuccess++;
      if (clean.some(([status, seen]) => status >= 400 && seen.problem)) withError++;
    }
    return { operations: this.operations.length, withSuccess, withError, pairs: Object.values(byOperation).flat().length, byOperation };
  }

  private declaresProblems(operation: Operation): boolean {
    return Object.entries((operation.operation.responses ?? {}) as Record<string, unknown>).some(
      ([status, response]) => !/^[123]/.test(status) && 'application/problem+json' in ((this.resolve(response).content ?? {}) as JsonObject),
    );
  }

  /** Known mismatches no answer showed: fixed, so the entry must go. */
  staleKnownMismatches(): KnownMismatch[] {
    return (this.options.known ?? []).filter((entry) => !this.knownSeen.has(entry));
  }
}

function mediaTypeOf(headers: Headers): string | undefined {
  return headers.get('content-type')?.split(';')[0]?.trim().toLowerCase() || undefined;
}

/** The declared media type an answer's Content-Type falls under: exact, then `type/*`, then `*\/*`. */
function mediaTypeEntry(content: Record<string, JsonObject>, mediaType: string): JsonObject | undefined {
  const byType = new Map(Object.entries(content).map(([type, media]) => [type.split(';')[0]!.trim().toLowerCase(), media]));
  return byType.get(mediaType) ?? byType.get(`${mediaType.split('/')[0]}/*`) ?? byType.get('*/*');
}

const isJson = (mediaType: string) => mediaType === 'application/json' || mediaType.endsWith('+json');

/** Header values are text; a header declared as a number or boolean is compared as one. */
function coerceHeader(value: string, schema: JsonObject): unknown {
  const types = ([] as unknown[]).concat(schema.type ?? []);
  if ((types.includes('integer') || types.includes('number')) && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  if (types.includes('boolean') && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

/** `/results/0/agency: must NOT have unevaluated property 'colour'`, naming the field. */
function describe(error: ErrorObject): string {
  const at = error.instancePath === '' ? '' : error.instancePath;
  const params = error.params as Record<string, unknown>;
  const detail =
    error.keyword === 'unevaluatedProperties' || error.keyword === 'additionalProperties'
      ? `has a property the document does not declare: '${String(params.unevaluatedProperty ?? params.additionalProperty)}'`
      : error.keyword === 'enum'
        ? `${error.message} ${JSON.stringify(params.allowedValues)}`
        : (error.message ?? error.keyword);
  return `${at}: ${detail}`;
}

function excerpt(text: string): string {
  return text.length > 400 ? `${text.slice(0, 400)}… (${text.length} chars)` : text;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `#/components/…` → `urn:…#/components/…`, so a schema compiled on its own still reaches the document's components. */
function absolutiseRefs(node: unknown): void {
  if (Array.isArray(node)) {
    node.forEach(absolutiseRefs);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const object = node as JsonObject;
  if (typeof object.$ref === 'string' && object.$ref.startsWith('#')) object.$ref = `${DOCUMENT_ID}${object.$ref}`;
  Object.values(object).forEach(absolutiseRefs);
}

/**
 * Marks every object schema that lists its properties as closed (`unevaluatedProperties:
 * false`, which, unlike additionalProperties, still sees properties an allOf brings in),
 * unless it says itself whether it takes more. Members of an allOf, and components an allOf
 * refers to, stay open: the allOf around them is closed instead.
 */
function closeObjectSchemas(document: OpenApiDocument): void {
  const openComponents = new Set<string>();
  const findAllOfRefs = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(findAllOfRefs);
    if (typeof node !== 'object' || node === null) return;
    const object = node as JsonObject;
    if (Array.isArray(object.allOf)) {
      for (const member of object.allOf as JsonObject[]) if (typeof member?.$ref === 'string') openComponents.add(member.$ref);
    }
    Object.values(object).forEach(findAllOfRefs);
  };
  findAllOfRefs(document);

  const close = (schema: unknown, inAllOf: boolean): void => {
    if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return;
    const object = schema as JsonObject;
    const describesObject = object.properties !== undefined || Array.isArray(object.allOf);
    if (describesObject && !inAllOf && object.additionalProperties === undefined && object.unevaluatedProperties === undefined) {
      object.unevaluatedProperties = false;
    }
    for (const key of SCHEMA_MAPS) for (const child of Object.values((object[key] ?? {}) as JsonObject)) close(child, false);
    for (const key of SCHEMA_LISTS) for (const child of (object[key] ?? []) as unknown[]) close(child, key === 'allOf');
    for (const key of SCHEMA_SINGLES) close(object[key], false);
  };

  const schemas = (document.components?.schemas ?? {}) as Record<string, unknown>;
  for (const [name, schema] of Object.entries(schemas)) close(schema, openComponents.has(`${DOCUMENT_ID}#/components/schemas/${name}`));
  const closeContent = (response: unknown) => {
    for (const media of Object.values(((response as JsonObject | undefined)?.content ?? {}) as Record<string, JsonObject>)) close(media.schema, false);
  };
  for (const item of Object.values(document.paths)) {
    for (const method of METHODS) for (const response of Object.values((item[method]?.responses ?? {}) as JsonObject)) closeContent(response);
  }
  for (const response of Object.values((document.components?.responses ?? {}) as JsonObject)) closeContent(response);
}
