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
