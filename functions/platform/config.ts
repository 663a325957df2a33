import * as z from 'zod';

// zod compiles a fast parser for each object schema with `new Function` on its first parse:
// milliseconds at every cold start (the configuration is parsed at init) and again at each
// route's first request, for objects of a few fields where the interpreted parse takes
// microseconds (docs/benchmarks.md, "Cold starts").
z.config({ jitless: true });

/**
 * Environment configuration, checked with zod. A bad value fails loudly with every problem
 * named instead of surfacing later as a confusing runtime error. Each concern declares only its
 * own slice (database, auth, storage …), so a function that never touches S3 needs no S3
 * settings: a bundle holds only the slices of the modules it imports, and `checkAllConfig()`
 * (called at cold start in Lambda by `endpoint()`) checks exactly those.
 */
export function defineConfig<S extends z.ZodObject>(name: string, schema: S): () => z.infer<S> {
  let cached: z.infer<S> | undefined;
  const read = () => {
    if (cached === undefined) {
      const parsed = schema.safeParse(process.env);
      if (!parsed.success) {
        const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
        throw new Error(`Invalid ${name} configuration: ${problems.join('; ')}`);
      }
      cached = parsed.data;
    }
    return cached;
  };
  configReaders.add({
    read,
    forget: () => {
      cached = undefined;
    },
  });
  return read;
}

const configReaders = new Set<{ read: () => unknown; forget: () => void }>();

/**
 * Checks every configuration slice this process has loaded, all at once: at a Lambda cold
 * start a missing or malformed variable then fails the init with every problem named, instead
 * of failing some later request with an answer that blames something else.
 */
export function checkAllConfig(): void {
  const problems: string[] = [];
  for (const { read } of configReaders) {
    try {
      read();
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  if (problems.length > 0) throw new Error(problems.join(' | '));
}

/** Tests point the process at another database or emulator; production never calls this. */
export function forgetConfig(): void {
  for (const { forget } of configReaders) forget();
}

export const booleanFlag = z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1');

export const getStage = defineConfig('stage', z.object({ STAGE: z.enum(['local', 'test', 'dev', 'prod']).default('local') }));
