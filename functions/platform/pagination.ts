import * as z from 'zod';
import { PAGE_SIZE } from '#core/pagination';
import { queryInteger } from './schemas';

/**
 * Pagination of every collection, as a request asks for it: ?limit= and an opaque ?cursor=.
 * Strict, like every query here: an unknown parameter is a 400, never silently ignored. A list
 * with filters extends it (`PageQuery.extend({ … })` stays strict). The cursor itself is
 * checked by core/pagination.ts against the list's order.
 */
export const PageQuery = z.strictObject({
  limit: queryInteger(1, PAGE_SIZE.max)
    .default(PAGE_SIZE.default)
    .meta({ description: `Results per page (1–${PAGE_SIZE.max}, default ${PAGE_SIZE.default})` }),
  cursor: z.string().max(500).optional().meta({ description: 'The `next_cursor` of the previous page; absent for the first page' }),
});
