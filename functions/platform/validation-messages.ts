import type * as z from 'zod';

type Issue = z.core.$ZodRawIssue;

const FORMATS: Record<string, string> = {
  email: 'an email address',
  url: 'a URL',
  uuid: 'a UUID',
  datetime: 'a date-time such as 2027-01-10T09:30:00Z',
  date: 'a date as YYYY-MM-DD',
};

const KINDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'an object',
  array: 'an array',
};

const units = (origin: string | undefined, count: number | bigint) =>
  origin === 'string' ? ` character${count === 1 ? '' : 's'}` : origin === 'array' || origin === 'set' ? ` item${count === 1 ? '' : 's'}` : '';

/**
 * zod's default messages ("Invalid input: expected string, received undefined") as the
 * sentences a 400 names fields with ("is required", "must be a string"), for every route:
 * endpoint() passes it to each parse (functions/platform/http.ts parsePart). A message a
 * schema sets itself wins over it; undefined leaves zod's own.
 */
export function readableIssue(issue: Issue): string | undefined {
  // A field that is absent fails its type or enum check: say what is wrong with the request.
  if (issue.input === undefined && (issue.code === 'invalid_type' || issue.code === 'invalid_value')) return 'is required';
  switch (issue.code) {
    case 'invalid_type':
      return `must be ${KINDS[issue.expected] ?? issue.expected}${issue.input === null ? ', not null' : ''}`;
    case 'invalid_value':
      return issue.values.length === 1
        ? `must be ${JSON.stringify(issue.values[0])}`
        : `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
    case 'too_small': {
      if (issue.origin === 'string' && Number(issue.minimum) === 1) return 'must not be empty';
      const bound = issue.inclusive === false ? 'more than' : 'at least';
      return `must be ${issue.exact ? 'exactly' : bound} ${issue.minimum}${units(issue.origin, issue.minimum)}`;
    }
    case 'too_big': {
      const bound = issue.inclusive === false ? 'less than' : 'at most';
      return `must be ${issue.exact ? 'exactly' : bound} ${issue.maximum}${units(issue.origin, issue.maximum)}`;
    }
    case 'invalid_format':
      return issue.format === 'regex' ? 'is not in the expected format' : `must be ${FORMATS[issue.format] ?? `in ${issue.format} format`}`;
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}`;
    case 'invalid_union':
      return 'matches none of the accepted forms';
    default:
      return undefined;
  }
}
