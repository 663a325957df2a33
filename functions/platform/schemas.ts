import * as z from 'zod';
import { isCalendarDate } from '#core/availability/dates';
import { isStorableText } from '#core/database';

/** Shapes shared by every area's contract. */
export const ProblemSchema = z
  .object({
    type: z.string().meta({
      description: 'A URI reference naming the kind of problem; GET it for a page saying what it means and what to do',
      example: '/api/v1/problems/validation-error/',
    }),
    title: z.string().meta({ example: 'Invalid request' }),
    status: z.number().int().meta({ example: 400 }),
    detail: z.string().meta({ example: 'The request body failed validation.' }),
    errors: z
      .array(z.object({ path: z.string().meta({ example: 'start_date' }), message: z.string().meta({ example: 'is required' }) }))
      .optional()
      .meta({ description: 'On a 400: each field that failed validation, and why' }),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

export const Uuid = z.uuid({ message: 'must be a UUID' });

export const IdParams = z.object({ id: Uuid });

/**
 * A calendar day as the API writes dates, `YYYY-MM-DD` (a whole day in Asia/Bangkok), the one
 * date schema of every route; documented as `format: date`.
 */
export const IsoDate = z
  .string()
  .superRefine((value, ctx) => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) ctx.addIssue({ code: 'custom', message: 'must be a date as YYYY-MM-DD' });
    else if (!isCalendarDate(value)) ctx.addIssue({ code: 'custom', message: 'is not a calendar date' });
  })
  .meta({ format: 'date' });

/**
 * Query parameters arrive as text. These read a number from text that is only digits (so
 * `1e3`, `0x10`, ` 5` or `` are refused, not coerced) and are documented as numbers, so
 * clients generated from the OpenAPI document type them as numbers; `?limit=5` still works.
 */
export function queryInteger(min: number, max: number) {
  return z.preprocess(
    (value) => (typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : value),
    z.number({ error: 'must be a whole number' }).int('must be a whole number').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`),
  );
}

/** A decimal query parameter (up to 3 decimals), read and documented like queryInteger(). */
export function queryDecimal(options: { moreThan: number; max: number }) {
  return z.preprocess(
    (value) => (typeof value === 'string' && /^\d{1,6}(\.\d{1,3})?$/.test(value) ? Number(value) : value),
    z.number({ error: 'must be a number' }).gt(options.moreThan, `must be more than ${options.moreThan}`).max(options.max, `must be at most ${options.max}`),
  );
}

export function pageOf<T extends z.ZodType>(item: T, id: string) {
  return z.object({ results: z.array(item), next_cursor: z.string().nullable() }).meta({ id });
}

const MAX_TEXT_PROBLEMS = 20;

/**
 * Every string (and object key) in a request part that PostgreSQL cannot store as sent, with
 * its path as the 400 names fields (`agency.name`, `items.0`). endpoint() runs it on every
 * route's params, query and body before the route's schema, so no route can forget it.
 * Iterative, with parent links instead of copied paths: a 64 KB body nested 30,000 deep
 * neither overflows the stack nor takes quadratic time.
 */
export function unstorableText(value: unknown, part: string): { path: string; message: string }[] {
  interface Node {
    value: unknown;
    key?: string;
    parent?: Node;
  }
  // Keys are shown escaped, so the path itself is always printable and well-formed.
  const printable = (key: string) => key.replaceAll('\u0000', '\\u0000').toWellFormed();
  const pathOf = (node: Node, key?: string): string => {
    const keys: string[] = key === undefined ? [] : [printable(key)];
    for (let at: Node | undefined = node; at?.key !== undefined; at = at.parent) keys.unshift(printable(at.key));
    return keys.length > 0 ? keys.join('.') : part;
  };
  const problemWith = (text: string) =>
    text.includes('\u0000') ? 'must not contain NUL characters (\\u0000)' : 'must be well-formed Unicode (no unpaired surrogate)';
  const problems: { path: string; message: string }[] = [];
  const stack: Node[] = [{ value }];
  while (stack.length > 0 && problems.length < MAX_TEXT_PROBLEMS) {
    const node = stack.pop()!;
    if (typeof node.value === 'string') {
      if (!isStorableText(node.value)) problems.push({ path: pathOf(node), message: problemWith(node.value) });
    } else if (Array.isArray(node.value)) {
      node.value.forEach((item, index) => stack.push({ value: item, key: String(index), parent: node }));
    } else if (typeof node.value === 'object' && node.value !== null) {
      for (const [key, item] of Object.entries(node.value)) {
        if (!isStorableText(key)) problems.push({ path: pathOf(node, key), message: `field name ${problemWith(key)}` });
        stack.push({ value: item, key, parent: node });
      }
    }
  }
  return problems;
}
