import * as z from 'zod';

/** Shapes shared by every area's contract. */
export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

export const Uuid = z.uuid({ message: 'must be a UUID' });

export const IdParams = z.object({ id: Uuid });

/** Pagination of every collection: ?limit=1..100 (default 20) and an opaque ?cursor=. */
export const PageQuery = z.object({
  limit: z.coerce.number({ message: 'must be a number' }).int().min(1).max(100).default(20),
  cursor: z.string().max(500).optional(),
});

export function pageOf<T extends z.ZodType>(item: T, id: string) {
  return z.object({ results: z.array(item), next_cursor: z.string().nullable() }).meta({ id });
}

/**
 * Text PostgreSQL stores as sent: no NUL (a text column cannot hold it: SQLSTATE 22021) and
 * well-formed UTF-16 (node-postgres silently turns a lone surrogate into U+FFFD, so the row
 * would not say what the client sent).
 */
export function isStorableText(value: string): boolean {
  return !value.includes('\u0000') && value.isWellFormed();
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
