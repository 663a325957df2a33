import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';

/**
 * Counts the statements (round trips) sent to PostgreSQL on behalf of one piece of work, BEGIN
 * and COMMIT included, through a hook on pg's client in this process: only those sent within
 * `counted()`'s async context, never the local server's background work or other fixtures.
 * Call at the top level of a test file.
 */
export function useRoundTripCounter() {
  const current = new AsyncLocalStorage<string[]>();
  // eslint-disable-next-line @typescript-eslint/unbound-method -- re-applied with the client as `this` below
  const originalQuery = pg.Client.prototype.query;
  beforeAll(() => {
    pg.Client.prototype.query = function countedQuery(this: pg.Client, ...args: unknown[]) {
      const first = args[0];
      const text = typeof first === 'string' ? first : (first as { text?: string } | null)?.text;
      current.getStore()?.push(String(text).trim().split(/\s+/).slice(0, 3).join(' '));
      return (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof pg.Client.prototype.query;
  });
  afterAll(() => {
    pg.Client.prototype.query = originalQuery;
  });
  /** Runs `work` and returns its result with the statements it sent (their first words). */
  return async function counted<T>(work: () => Promise<T>): Promise<{ result: T; statements: string[] }> {
    const statements: string[] = [];
    const result = await current.run(statements, work);
    return { result, statements };
  };
}
