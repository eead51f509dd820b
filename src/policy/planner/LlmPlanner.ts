import OpenAI from 'openai';
import { z } from 'zod';
import { formatZodIssues, UserError } from '../../errors.ts';
import { checkSteps, type Plan, SkillCallSchema } from './Plan.ts';
import type { PlanResult } from './RuleBasedPlanner.ts';
import { describeObject, type WorldSummary } from './WorldSummary.ts';

/** What the model is asked to return: only the steps; source and instruction are ours. */
export const LlmPlanReplySchema = z.object({ steps: z.array(SkillCallSchema) }).strict();

export const LlmPlannerOptionsSchema = z
  .object({
    /** An OpenAI-compatible endpoint, such as 'http://localhost:11434/v1' (Ollama) or 'http://localhost:8000/v1' (vLLM). */
    baseURL: z.url(),
    /** Model name as the server knows it, such as 'llama3.1:8b'. */
    model: z.string().min(1),
    /** API key. Local servers ignore it. @default 'none' */
    apiKey: z.string().optional(),
    /** Requests per instruction, the first included; each retry carries the previous error. @default 3 */
    maxAttempts: z.number().int().min(1).max(20).optional(),
    /** Per-request timeout, ms. A slow local model on CPU may need a minute. @default 30000 */
    timeoutMs: z.number().positive().optional(),
    /** Sampling temperature; 0 makes replies repeatable where the server allows it. @default 0 */
    temperature: z.number().min(0).max(2).optional(),
  })
  .strict();
export type LlmPlannerOptions = z.infer<typeof LlmPlannerOptionsSchema>;

export type LlmPlanResult =
  | { ok: true; plan: Plan; attempts: number }
  | {
      ok: false;
      /** Every attempt's error, joined: for /policy/status. */
      reason: string;
      /** One entry per failed attempt, in order. */
      errors: string[];
      attempts: number;
    };

/**
 * The JSON schema sent as `response_format`, derived from the zod plan schema.
 * OpenAI's strict structured outputs accept `anyOf` but not `oneOf`, and older
 * servers ignore `const`; so unions become `anyOf` and constants one-value enums.
 */
export function planJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(LlmPlanReplySchema) as Record<string, unknown>;
  delete schema.$schema;
  return rewrite(schema) as Record<string, unknown>;
}

function rewrite(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewrite);
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'oneOf') out.anyOf = rewrite(v);
    else if (k === 'const') out.enum = [v];
    else out[k] = rewrite(v);
  }
  return out;
}

const SYSTEM_PROMPT = `You plan tabletop robot manipulation. Turn the user's instruction into a list of skill calls.
Skills:
- pick {object}: grasp a block (the gripper must be empty).
- place {object, target}: put the held block into a bowl, into a zone, or on top of another block.
- push {object, zone}: slide a block into a zone without lifting it (gripper empty).
- route_through {cable, clip}: lay the cable into one clip; one call per clip, in the order asked.
- go_home {}: move the arm to its home pose.
To move a block: pick it, then place it. Use only object ids from the scene. Left is +y, right is -y, the robot stands at x = 0.
Reply with JSON only: {"steps": [...]}.`;

/**
 * A planner for any OpenAI-compatible chat endpoint (Ollama, vLLM, llama.cpp server,
 * hosted APIs). It asks for structured output with the plan's JSON schema, checks the
 * reply with zod and against the scene, and when the reply is not JSON, breaks the
 * schema or names objects that are not there, asks again with the error appended
 * (AutoTAMP-style self-correction), up to `maxAttempts` requests in all.
 * Network errors and timeouts are not retried: they end planning with a reason.
 */
export class LlmPlanner {
  readonly #client: OpenAI;
  readonly #options: Required<Omit<LlmPlannerOptions, 'apiKey'>>;

  constructor(options: LlmPlannerOptions) {
    const parsed = LlmPlannerOptionsSchema.safeParse(options, { reportInput: true });
    if (!parsed.success)
      throw new UserError(formatZodIssues(parsed.error.issues), { source: 'LLM planner options' });
    const o = parsed.data;
    this.#options = {
      baseURL: o.baseURL,
      model: o.model,
      maxAttempts: o.maxAttempts ?? 3,
      timeoutMs: o.timeoutMs ?? 30_000,
      temperature: o.temperature ?? 0,
    };
    // The client's own retries would hide attempts from the count above; they are off.
    this.#client = new OpenAI({
      baseURL: o.baseURL,
      apiKey: o.apiKey ?? 'none',
      timeout: this.#options.timeoutMs,
      maxRetries: 0,
    });
  }

  /** Plans `instruction` in `world`. Resolves, never rejects, unless `signal` aborts. */
  async plan(
    instruction: string,
    world: WorldSummary,
    opts: { signal?: AbortSignal } = {},
  ): Promise<LlmPlanResult> {
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
      { role: 'system', content: SYSTEM_PROMPT },
      { role: 'user', content: userPrompt(instruction, world) },
    ];
    const errors: string[] = [];
    const schema = planJsonSchema();
    for (let attempt = 1; attempt <= this.#options.maxAttempts; attempt++) {
      let content: string;
      try {
        const completion = await this.#client.chat.completions.create(
          {
            model: this.#options.model,
            messages,
            temperature: this.#options.temperature,
            response_format: { type: 'json_schema', json_schema: { name: 'plan', strict: true, schema } },
          },
          opts.signal ? { signal: opts.signal } : {},
        );
        const message = completion.choices[0]?.message;
        if (message?.refusal) throw new Error(`the model refused: ${message.refusal}`);
        content = message?.content ?? '';
      } catch (err) {
        if (opts.signal?.aborted) throw err;
        errors.push(`attempt ${attempt}: request to ${this.#options.baseURL} failed: ${errorText(err)}`);
        return fail(errors, attempt);
      }
      const checked = checkReply(content, world);
      if (checked.ok) {
        return { ok: true, plan: { steps: checked.steps, source: 'llm', instruction }, attempts: attempt };
      }
      errors.push(`attempt ${attempt}: ${checked.error}`);
      messages.push(
        { role: 'assistant', content },
        {
          role: 'user',
          content: `That reply is not a valid plan: ${checked.error}\nReply again with the corrected plan as JSON matching the schema, using only the scene's object ids.`,
        },
      );
    }
    return fail(errors, this.#options.maxAttempts);
  }
}

/** Creates an LLM planner; options are checked (UserError names the bad field). */
export function createLlmPlanner(options: LlmPlannerOptions): LlmPlanner {
  return new LlmPlanner(options);
}

function fail(errors: string[], attempts: number): LlmPlanResult {
  return {
    ok: false,
    reason: `LLM planner failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${errors.join(' | ')}`,
    errors,
    attempts,
  };
}

/** Parses and checks one reply: JSON, then the schema, then the scene. */
export function checkReply(
  content: string,
  world: WorldSummary,
): { ok: true; steps: Plan['steps'] } | { ok: false; error: string } {
  // Some local models wrap JSON in a Markdown fence even when asked not to.
  const text = content.trim().replace(/^```(?:json)?\s*([\s\S]*?)\s*```$/, '$1');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `invalid JSON (${errorText(err)}): ${clip(text)}` };
  }
  const parsed = LlmPlanReplySchema.safeParse(json, { reportInput: true });
  if (!parsed.success)
    return { ok: false, error: `does not fit the plan schema: ${formatZodIssues(parsed.error.issues)}` };
  if (parsed.data.steps.length === 0) return { ok: false, error: 'the plan has no steps' };
  const errors = checkSteps(parsed.data.steps, world);
  return errors.length ? { ok: false, error: errors.join('; ') } : { ok: true, steps: parsed.data.steps };
}

function userPrompt(instruction: string, world: WorldSummary): string {
  const scene = world.objects.map((o) => ({
    id: o.id,
    kind: o.kind,
    name: describeObject(o),
    position_m: o.position.map((v) => Math.round(v * 1000) / 1000),
  }));
  return `Scene objects:\n${JSON.stringify(scene)}\nInstruction: ${instruction}`;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function clip(s: string): string {
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

/**
 * The LLM planner as the language policy's planner: every instruction is sent to the model
 * (`asPlanner(createLlmPlanner({ baseURL, model }))`). A failure's reason lists each attempt's error.
 */
export function asPlanner(
  llm: LlmPlanner,
): (instruction: string, world: WorldSummary) => Promise<PlanResult> {
  return async (instruction, world) => {
    const r = await llm.plan(instruction, world);
    return r.ok ? { ok: true, plan: r.plan } : { ok: false, reason: r.reason };
  };
}
