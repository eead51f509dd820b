import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { UserError } from '../errors.ts';
import { addEvalCommand } from './evalCommand.ts';
import { addLaunchCommand } from './launchCommand.ts';
import { addPolicyCommand } from './policyCommand.ts';
import { addRunCommand } from './runCommand.ts';
import { addSimCommand } from './simCommand.ts';
import { addSnapshotCommand } from './snapshotCommand.ts';
import { addUpCommand } from './upCommand.ts';

const mainHelp = `
Exit status: 0 success; 1 a task not achieved (run), an episode error
(eval), or an unexpected failure; 2 bad input (flags, names, files).
Set SIMBRIDGE_DEBUG=1 to print stacks of unexpected errors.`;

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version?: string;
  };
  return pkg.version ?? 'unknown';
}

/** Builds the `simbridge` command tree. `setExitCode` receives each action's exit status. */
export function createProgram(setExitCode: (code: number) => void): Command {
  const program = new Command('simbridge')
    .description('robot manipulation simulator and ROS 2 control bridge')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .enablePositionalOptions()
    .showSuggestionAfterError(true)
    .exitOverride()
    // Usage errors are printed by runCli, in the same one-line format as UserError.
    .configureOutput({ outputError: () => {} })
    .addHelpText('after', mainHelp);
  addEvalCommand(program, setExitCode);
  addLaunchCommand(program, setExitCode);
  addPolicyCommand(program, setExitCode);
  addRunCommand(program, setExitCode);
  addSimCommand(program, setExitCode);
  addSnapshotCommand(program, setExitCode);
  addUpCommand(program, setExitCode);
  return program;
}

/**
 * Runs the CLI on `argv` (without node and the script) and returns the exit status. Prints errors as
 * `simbridge: error: <message>`, without a stack: 2 for bad input, 1 for anything unexpected.
 */
export async function runCli(argv: readonly string[]): Promise<number> {
  let exitCode = 0;
  const program = createProgram((code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (err) {
    return reportError(err);
  }
}

function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    // --help and --version come through here too, with exit code 0; their output is already printed.
    if (err.exitCode === 0) return 0;
    // commander puts its help on stderr for a bare `simbridge`; a usage error gets one line.
    if (err.code === 'commander.help' || err.code === 'commander.helpDisplayed') return 2;
    const message = err.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ');
    process.stderr.write(`simbridge: error: ${message} (see --help)\n`);
    return 2;
  }
  if (err instanceof UserError) {
    process.stderr.write(`simbridge: error: ${err.message}\n`);
    if (process.env['SIMBRIDGE_DEBUG'] === '1') process.stderr.write(`${err.stack}\n`);
    return 2;
  }
  const message = err instanceof Error ? err.message : String(err);
  if (process.env['SIMBRIDGE_DEBUG'] === '1') {
    process.stderr.write(`simbridge: error: ${err instanceof Error ? err.stack : message}\n`);
  } else {
    process.stderr.write(`simbridge: error: ${message} (run with SIMBRIDGE_DEBUG=1 for the stack)\n`);
  }
  return 1;
}
