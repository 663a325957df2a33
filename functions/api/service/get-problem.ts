import { NotFound } from '#core/errors';
import { endpoint } from '#platform/http';
import { PROBLEM_TYPES, isProblemSlug, type ProblemTypeInfo } from '#platform/problem-types';
import { API_PREFIX } from '#platform/route';
import { serviceRoutes } from './routes';

const escapeHtml = (text: string) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/** The registry's `code` spans, escaped, as <code>. */
const prose = (text: string) => escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>');

function page(slug: string, info: ProblemTypeInfo): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${escapeHtml(info.title)} (${info.status}) · Phuket Rental API</title>
  <style>body { font: 16px/1.5 system-ui, sans-serif; max-width: 42rem; margin: 2rem auto; padding: 0 1rem; color: #222 } code { background: #f3f3f3; padding: 0 .2em }</style>
</head>
<body>
  <h1>${escapeHtml(info.title)}</h1>
  <p>HTTP status <strong>${info.status}</strong> · problem type <code>${API_PREFIX}/problems/${slug}/</code></p>
  <h2>What it means</h2>
  <p>${prose(info.meaning)}</p>
  <h2>What to do</h2>
  <p>${prose(info.action)}</p>
  <p>The answer's <code>detail</code> says what happened to this request. Every error of this API is
  <code>application/problem+json</code> (RFC 9457); see the <a href="${API_PREFIX}/docs/">API reference</a>.</p>
</body>
</html>`;
}

/** The page a problem's `type` URI points at (functions/platform/problem-types.ts). */
export const handler = endpoint(serviceRoutes.getProblem, async ({ params }, reply) => {
  if (!isProblemSlug(params.slug)) throw new NotFound(`No problem type named ${params.slug}. See ${API_PREFIX}/docs/.`);
  return reply(200, page(params.slug, PROBLEM_TYPES[params.slug]), { 'content-type': 'text/html; charset=utf-8' });
});
