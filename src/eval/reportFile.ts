import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { formatZodIssues, UserError } from '../errors.ts';
import type { EvalReport } from './report.ts';
import { summarize } from './report.ts';
import { PERCEPTION_SOURCES } from './types.ts';

const nonNegativeInt = z.int().nonnegative();

/** An EpisodeResult as read from a report file. Unknown keys are kept, so newer runner fields survive a merge. */
const episodeResultSchema = z.looseObject({
  task: z.string(),
  robot: z.string(),
  seed: nonNegativeInt,
  policy: z.string(),
  split: z.enum(['seen', 'unseen']),
  index: nonNegativeInt,
  instruction: z.string(),
  goal: z.unknown(),
  success: z.boolean(),
  checks: z.record(z.string(), z.union([z.boolean(), z.number()])),
  steps: nonNegativeInt,
  simTimeSeconds: z.number(),
  wallTimeSeconds: z.number(),
  stateHash: z.string(),
  subtasksCompleted: nonNegativeInt,
  subtasksTotal: nonNegativeInt,
  graspAssists: nonNegativeInt,
  commandsRejected: nonNegativeInt,
  commandsClamped: nonNegativeInt,
  error: z.string().optional(),
});

/** The report file format. The summary is not checked field by field: it is recomputed from the results. */
const evalReportSchema = z.strictObject({
  suite: z.string(),
  tasks: z.array(z.string()).min(1),
  robot: z.string(),
  policy: z.string(),
  split: z.enum(['seen', 'unseen']),
  episodes: z.int().positive(),
  seed: nonNegativeInt,
  perception: z.enum(PERCEPTION_SOURCES).optional(),
  perturb: z.literal(true).optional(),
  switch: z.literal(true).optional(),
  shard: z
    .strictObject({ index: nonNegativeInt, count: z.int().positive() })
    .refine((s) => s.index < s.count, { message: 'shard index must be below shard count' })
    .optional(),
  results: z.array(episodeResultSchema),
  summary: z.array(z.unknown()),
});

/**
 * Checks a parsed report file. Throws UserError naming the file and the bad field.
 * @param source the file name, for error messages
 */
export function parseReport(data: unknown, source: string): EvalReport {
  const parsed = evalReportSchema.safeParse(data, { reportInput: true });
  if (!parsed.success) {
    throw new UserError(`not a simbridge eval report: ${formatZodIssues(parsed.error.issues)}`, { source });
  }
  const { shard, ...rest } = parsed.data;
  const report: EvalReport = { ...rest, ...(shard ? { shard } : {}), summary: [] };
  report.summary = summarize(report.results);
  return report;
}

/** Reads and checks a report file written by `simbridge eval --json`. */
export async function readReportFile(path: string): Promise<EvalReport> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? 'no such file' : `cannot read: ${String(err)}`, {
      source: path,
      cause: err,
    });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new UserError(`not valid JSON: ${(err as Error).message}`, { source: path, cause: err });
  }
  return parseReport(data, path);
}
