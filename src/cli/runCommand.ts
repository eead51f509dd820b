import type { Command } from 'commander';
import { Option } from 'commander';
import { UserError } from '../errors.ts';
import {
  assertGraphPolicy,
  assertLanguagePolicy,
  assertRecordable,
  describeEpisode,
  runEpisode,
  validateSpecNames,
} from '../eval/runEpisode.ts';
import type { EpisodeResult, EpisodeSpec, Perception } from '../eval/types.ts';
import { checkRecordFile } from '../record/recordPaths.ts';
import { addEpisodeModeOptions, parseIntFlag } from './flags.ts';
import { addPlannerOptions, llmConfigFromFlags } from './plannerFlags.ts';

interface RunFlags {
  task: string;
  seed: number;
  robot: string;
  policy: string;
  split: 'seen' | 'unseen';
  scene: string;
  instruction?: string;
  json?: boolean;
  dryRun?: boolean;
  record?: string;
  perception: Perception;
  perturb?: boolean;
  switch?: boolean;
  planner: 'rule' | 'llm';
  llmUrl?: string;
  llmModel?: string;
}

const runHelp = `
--json prints the EpisodeResult as one JSON object: success, goal,
instruction, steps, simTimeSeconds, stateHash, checks, task, seed, robot, ...
--dry-run prints the scene, goal and instruction as JSON without stepping.

Exit status:
  0  the task was achieved (or --dry-run)
  1  the task was not achieved, or the episode could not run
  2  bad input: a flag or a name`;

/** Adds `run`: one episode. */
export function addRunCommand(program: Command, setExitCode: (code: number) => void): void {
  const cmd = program
    .command('run')
    .description('run one episode and report its success checks')
    .requiredOption('--task <id>', 'task id, e.g. pick_place')
    .option('--seed <n>', 'episode seed, >= 0', (v) => parseIntFlag('--seed', v, 0), 0)
    .option('--robot <id|dir>', 'robot id from robots/, or a folder with robot.yaml and its URDF', 'ur5e')
    .option('--scene <name|file>', 'built-in scene name, or a scene-spec YAML file', 'tabletop')
    .option('--instruction <text>', "with --policy language: say this instead of the task's own instruction")
    .option('--policy <id>', 'policy id', 'oracle')
    .addOption(
      new Option('--split <split>', 'colours and positions seen or unseen in development')
        .choices(['seen', 'unseen'])
        .default('seen'),
    )
    .option('--json', 'print the result as one JSON object')
    .option('--dry-run', 'build the episode and print its scene, goal and instruction; do not step')
    .option('--record <file.mcap>', 'record every topic to an MCAP file (ROS 2 CDR; Foxglove, ros2 bag)')
    .addHelpText('after', runHelp);
  addPlannerOptions(addEpisodeModeOptions(cmd)).action(async (flags: RunFlags) => {
    setExitCode(await runOne(flags));
  });
}

async function runOne(flags: RunFlags): Promise<number> {
  validateSpecNames(flags.task, flags.robot, flags.policy);
  if (flags.record !== undefined) {
    assertRecordable(flags.policy, '--record');
    checkRecordFile(flags.record, '--record');
  }
  if (flags.perception === 'camera') assertGraphPolicy(flags.policy, '--perception camera');
  if (flags.switch) assertLanguagePolicy(flags.policy, '--switch');
  const spec: EpisodeSpec = {
    task: flags.task,
    robot: flags.robot,
    policy: flags.policy,
    split: flags.split,
    seed: flags.seed,
    index: 0,
    scene: flags.scene,
    ...(flags.instruction !== undefined ? { instruction: flags.instruction } : {}),
    ...(flags.record !== undefined && !flags.dryRun ? { record: flags.record } : {}),
    ...(flags.perception === 'camera' ? { perception: flags.perception } : {}),
    ...(flags.perturb ? { perturb: true } : {}),
    ...(flags.switch ? { switch: true } : {}),
  };
  const llm = llmConfigFromFlags(flags);
  if (llm) {
    if (flags.policy !== 'language') {
      throw new UserError(`--planner llm needs --policy language, got "${flags.policy}"`, {
        source: '--planner',
      });
    }
    spec.llm = llm;
  }
  if (flags.dryRun) {
    const { instruction, goal, scene } = describeEpisode(spec);
    const { index: _index, ...identity } = spec;
    process.stdout.write(JSON.stringify({ ...identity, instruction, goal, scene }, null, 2) + '\n');
    return 0;
  }
  const result = await runEpisode(spec);
  // `simTime` (s) is the name for `simTimeSeconds`; both are printed.
  const json = { ...result, simTime: result.simTimeSeconds };
  process.stdout.write(flags.json ? JSON.stringify(json, null, 2) + '\n' : humanSummary(result));
  if (result.error !== undefined && flags.json) {
    process.stderr.write(`simbridge: episode could not run: ${result.error}\n`);
  }
  return result.success ? 0 : 1;
}

function humanSummary(r: EpisodeResult): string {
  const lines = [
    `${r.task} seed ${r.seed} (robot ${r.robot}, policy ${r.policy}, split ${r.split})`,
    `instruction: ${r.instruction}`,
  ];
  if (r.error !== undefined) {
    lines.push(`result: ERROR: ${r.error}`);
  } else {
    lines.push(`result: ${r.success ? 'SUCCESS' : 'FAILED'}`);
  }
  const rtf =
    r.wallTimeSeconds > 0 ? ` (${(r.simTimeSeconds / r.wallTimeSeconds).toFixed(1)}x real time)` : '';
  lines.push(
    `steps ${r.steps}, sim ${r.simTimeSeconds.toFixed(2)} s, wall ${r.wallTimeSeconds.toFixed(2)} s${rtf}`,
  );
  const checks = Object.entries(r.checks).map(([k, v]) => `${k}=${v}`);
  if (checks.length) lines.push(`checks: ${checks.join(' ')}`);
  if (r.subtasksTotal > 1) lines.push(`subtasks: ${r.subtasksCompleted}/${r.subtasksTotal}`);
  if (r.graspAssists || r.commandsRejected || r.commandsClamped) {
    lines.push(
      `grasp assists ${r.graspAssists}, commands rejected ${r.commandsRejected}, clamped ${r.commandsClamped}`,
    );
  }
  lines.push(`state hash: ${r.stateHash}`);
  return lines.join('\n') + '\n';
}
