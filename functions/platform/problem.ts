import type { FieldProblem } from '#core/errors';
import { API_PREFIX } from './route';

/** An RFC 9457 problem document, as every error of this API is answered. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldProblem[];
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/**
 * A problem's `type`: a URI reference the API itself serves (GET answers a page saying what
 * the problem means and what to do; functions/platform/problem-types.ts lists every slug).
 */
export function problemType(slug: string): string {
  return `${API_PREFIX}/problems/${slug}/`;
}
