import type { Command } from 'commander';
import { Option } from 'commander';
import { UserError } from '../errors.ts';
import { evaluate } from '../eval/evaluate.ts';
import { mergeReports } from '../eval/merge.ts';
import type { EvalPlan, Shard } from '../eval/plan.ts';
import { parseShard, selectTasks } from '../eval/plan.ts';
import type { EvalReport } from '../eval/report.ts';
import { formatTable } from '../eval/report.ts';
import { readReportFile } from '../eval/reportFile.ts';
import {
  assertGraphPolicy,
  assertLanguagePolicy,
  assertRecordable,
  listTasks,
  runEpisode,
  validateSpecNames,
} from '../eval/runEpisode.ts';
import type { Perception } from '../eval/types.ts';
import { prepareRecordDir } from '../record/recordPaths.ts';
import { addEpisodeModeOptions, parseIntFlag, parseWorkersFlag } from './flags.ts';
import { checkOutputPath, writeJsonFile } from './io.ts';
import { createProgress } from './progress.ts';

interface EvalFlags {
  suite: string;
  tasks?: string;
  robot: string;
  policy: string;
  episodes: number;
  seed: number;
  split: 'seen' | 'unseen';
  workers: number;
  shard?: Shard;
  json?: string;
  record?: string;
  perturb?: boolean;
  switch?: boolean;
  perception: Perception;
}

const evalHelp = `
Seeds: episode k of every task gets seed <seed> + k, so adding tasks or
episodes leaves existing episodes unchanged.

Sharding: --shard i/n runs every n-th episode starting at i (0-based, like
Kubernetes indexed jobs and Slurm array task ids: 0/4 .. 3/4), so every
shard gets a share of every task. Merge the shard files with
'simbridge eval merge'; the merged report equals the unsharded run's
(wall-clock figures aside).

Exit status:
  0  every episode ran (whatever its success: this is a measurement)
  1  some episode could not run (its error is in the report), or an
     unexpected failure
  2  bad input: a flag, a name, a file`;

const mergeHelp = `
Refuses files from different evaluations (suite, tasks, robot, policy,
split, episodes, seed), duplicated episodes and missing episodes, naming
them.

Exit status: 0 merged, 1 some merged episode has an error, 2 bad input.`;

/** Adds `eval` and `eval merge`. */
export function addEvalCommand(program: Command, setExitCode: (code: number) => void): void {
  const cmd = program
    .command('eval')
    .description('run a task suite and print a success-rate table')
    .enablePositionalOptions()
    .option('--suite <id>', 'task suite', 'tabletop')
    .option('--tasks <ids>', 'comma-separated subset of the suite (default: all of its tasks)')
    .option('--robot <id>', 'robot id from robots/', 'ur5e')
    .option('--policy <id>', 'policy id', 'oracle')
    .option('--episodes <n>', 'episodes per task, >= 1', (v) => parseIntFlag('--episodes', v, 1), 20)
    .option('--seed <n>', 'base seed, >= 0', (v) => parseIntFlag('--seed', v, 0), 0)
    .addOption(
      new Option('--split <split>', 'colours and positions seen or unseen in development')
        .choices(['seen', 'unseen'])
        .default('seen'),
    )
    .option(
      '--workers <n>',
      "worker threads, or 'auto' for one per core (0 or 1: run in this thread)",
      parseWorkersFlag,
      1,
    )
    .option('--shard <i/n>', 'run only shard i of n (0-based)', (v) => parseShard(v, '--shard'))
    .option('--json <file>', 'also write the report (results and summary) as JSON')
    .option('--record <dir>', 'record each episode to <dir>/<task>_<split>_seed<seed>.mcap (MCAP, ROS 2 CDR)')
    .addHelpText('after', evalHelp);
  addEpisodeModeOptions(cmd).action(async (flags: EvalFlags) => {
    setExitCode(await runEval(flags));
  });

  cmd
    .command('merge')
    .description('combine shard reports written by eval --shard ... --json into one report')
    .argument('<files...>', 'report files, one per shard')
    .option('--json <file>', 'write the merged report as JSON')
    .addHelpText('after', mergeHelp)
    .action(async (files: string[], flags: { json?: string }) => {
      setExitCode(await runMerge(files, flags));
    });
}

async function runEval(flags: EvalFlags): Promise<number> {
  if (flags.json !== undefined) checkOutputPath('--json', flags.json);
  const tasks = selectTasks(flags.suite, listTasks(flags.suite), flags.tasks);
  if (tasks.length === 0) throw new UserError(`suite '${flags.suite}' has no tasks`, { source: '--suite' });
  for (const task of tasks) validateSpecNames(task, flags.robot, flags.policy);
  if (flags.record !== undefined) assertRecordable(flags.policy, '--record');
  if (flags.switch) assertLanguagePolicy(flags.policy, '--switch');
  if (flags.perception === 'camera') assertGraphPolicy(flags.policy, '--perception camera');
  const recordDir = flags.record === undefined ? undefined : prepareRecordDir(flags.record, '--record');

  const plan: EvalPlan = {
    suite: flags.suite,
    tasks,
    robot: flags.robot,
    policy: flags.policy,
    split: flags.split,
    episodes: flags.episodes,
    seed: flags.seed,
    ...(flags.perturb ? { perturb: true } : {}),
    ...(flags.switch ? { switch: true } : {}),
    ...(flags.perception === 'camera' ? { perception: flags.perception } : {}),
  };
  const progress = createProgress(process.stderr);
  let report: EvalReport;
  try {
    report = await evaluate(plan, {
      workers: flags.workers,
      runner: runEpisode,
      ...(flags.shard ? { shard: flags.shard } : {}),
      ...(recordDir !== undefined ? { recordDir } : {}),
      onPlanned: (specs) => progress.start(specs),
      onResult: (r) => progress.onResult(r),
    });
  } finally {
    progress.stop();
  }
  return finishReport(report, flags.json);
}

async function runMerge(files: string[], flags: { json?: string }): Promise<number> {
  if (flags.json !== undefined) checkOutputPath('--json', flags.json);
  const inputs = [];
  for (const file of files) inputs.push({ file, report: await readReportFile(file) });
  return finishReport(mergeReports(inputs), flags.json);
}

/** Prints the table, writes the JSON, and says which episodes had errors. Returns the exit code. */
async function finishReport(report: EvalReport, jsonPath: string | undefined): Promise<number> {
  process.stdout.write(formatTable(report));
  if (jsonPath !== undefined) await writeJsonFile('--json', jsonPath, report);
  const failed = report.results.filter((r) => r.error !== undefined);
  if (failed.length === 0) return 0;
  const first = failed[0]!;
  process.stderr.write(
    `simbridge: ${failed.length} episode(s) could not run; first: index ${first.index} ` +
      `(${first.task} seed ${first.seed}): ${first.error}\n`,
  );
  return 1;
}
