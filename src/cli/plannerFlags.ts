/**
 * `--planner rule|llm`, `--llm-url`, `--llm-model`: which planner the language policy uses.
 * The LLM's API key comes from the environment (SIMBRIDGE_LLM_API_KEY, else OPENAI_API_KEY),
 * never from a flag, so it stays out of shell history and process lists.
 */
import { type Command, Option } from 'commander';
import { UserError } from '../errors.ts';
import type { Planner } from '../policy/language/LanguagePolicy.ts';
import { asPlanner, createLlmPlanner } from '../policy/planner/LlmPlanner.ts';

export interface PlannerFlags {
  planner: 'rule' | 'llm';
  llmUrl?: string;
  llmModel?: string;
}

/** What an LLM planner is configured with (the key is read from the environment when it is made). */
export interface LlmConfig {
  baseURL: string;
  model: string;
}

export function addPlannerOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--planner <kind>', 'language planner: the embedded rule-based one, or an LLM')
        .choices(['rule', 'llm'])
        .default('rule'),
    )
    .option(
      '--llm-url <url>',
      'with --planner llm: an OpenAI-compatible endpoint, e.g. http://localhost:11434/v1',
    )
    .option('--llm-model <name>', 'with --planner llm: the model name the endpoint knows');
}

/** The LLM configuration the flags ask for, or undefined for the rule-based planner. */
export function llmConfigFromFlags(flags: PlannerFlags): LlmConfig | undefined {
  if (flags.planner !== 'llm') {
    if (flags.llmUrl !== undefined || flags.llmModel !== undefined) {
      throw new UserError('--llm-url and --llm-model need --planner llm', { source: '--planner' });
    }
    return undefined;
  }
  if (flags.llmUrl === undefined)
    throw new UserError('--planner llm needs --llm-url', { source: '--llm-url' });
  if (flags.llmModel === undefined) {
    throw new UserError('--planner llm needs --llm-model', { source: '--llm-model' });
  }
  return { baseURL: flags.llmUrl, model: flags.llmModel };
}

/** An LLM planner for the language policy; options are checked (UserError names the bad one). */
export function llmPlanner(config: LlmConfig): Planner {
  const apiKey = process.env['SIMBRIDGE_LLM_API_KEY'] ?? process.env['OPENAI_API_KEY'];
  return asPlanner(createLlmPlanner({ ...config, ...(apiKey ? { apiKey } : {}) }));
}
