// Entry point of the `simbridge` command (loaded by bin/simbridge.mjs through tsx).
import { runCli } from './program.ts';

process.exitCode = await runCli(process.argv.slice(2));
