import * as z from 'zod';

/**
 * Environment configuration, checked with zod the first time a module asks for it (at cold
 * start in Lambda). A bad value fails loudly with every problem named instead of surfacing
 * later as a confusing runtime error. Each concern declares only its own slice (database,
 * auth, storage …), so a function that never touches S3 needs no S3 settings.
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
  configReaders.add(() => {
    cached = undefined;
  });
  return read;
}

const configReaders = new Set<() => void>();

/** Tests point the process at another database or emulator; production never calls this. */
export function forgetConfig(): void {
  for (const forget of configReaders) forget();
}

export const booleanFlag = z
  .enum(['true', 'false', '1', '0'])
  .transform((value) => value === 'true' || value === '1');

export const getStage = defineConfig(
  'stage',
  z.object({ STAGE: z.enum(['local', 'test', 'dev', 'prod']).default('local') }),
);
