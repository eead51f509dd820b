/**
 * The LLM planner's contract, against a real local HTTP server (node:http on port 0)
 * that stands in for an OpenAI-compatible LLM endpoint, which cannot run here. The
 * server plays recorded chat-completion responses in order and records each request.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { createLlmPlanner, planJsonSchema } from '../../src/policy/planner/LlmPlanner.ts';
import type { WorldSummary } from '../../src/policy/planner/WorldSummary.ts';

const world: WorldSummary = {
  objects: [
    { id: 'red_block', kind: 'block', color: 'red', className: 'red block', position: [0.4, 0.1, 0.02] },
    { id: 'blue_bowl', kind: 'bowl', color: 'blue', className: 'blue bowl', position: [0.5, -0.1, 0] },
  ],
};
const GOOD =
  '{"steps":[{"skill":"pick","object":"red_block"},{"skill":"place","object":"red_block","target":"blue_bowl"}]}';

/** A chat-completion body as OpenAI-compatible servers send it, with `content` as the reply. */
function completion(content: string) {
  return {
    id: 'chatcmpl-recorded',
    object: 'chat.completion',
    created: 1_700_000_000,
    model: 'recorded-model',
    choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content, refusal: null } }],
    usage: { prompt_tokens: 100, completion_tokens: 30, total_tokens: 130 },
  };
}

interface Recorded {
  server: Server;
  baseURL: string;
  requests: Array<{
    url: string;
    body: { model: string; messages: Array<{ role: string; content: string }>; response_format: unknown };
  }>;
}

let open: Server | undefined;
afterEach(async () => {
  open?.closeAllConnections();
  await new Promise<void>((resolve) => (open ? open.close(() => resolve()) : resolve()));
  open = undefined;
});

/** Starts the stand-in endpoint; `replies[i]` answers request i (`'hang'` never answers). */
async function playback(replies: Array<string | 'hang'>): Promise<Recorded> {
  const requests: Recorded['requests'] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.on('data', (c: Buffer) => {
      raw += c.toString('utf8');
    });
    req.on('end', () => {
      requests.push({ url: req.url ?? '', body: JSON.parse(raw) });
      const reply = replies[requests.length - 1];
      if (reply === 'hang') return;
      if (reply === undefined) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end('{"error":{"message":"no more recorded replies"}}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(completion(reply)));
    });
  });
  open = server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, baseURL: `http://127.0.0.1:${port}/v1`, requests };
}

describe('LlmPlanner against a recorded OpenAI-compatible endpoint', () => {
  it('returns a valid plan, asking for structured output with the plan JSON schema', async () => {
    const rec = await playback([GOOD]);
    const planner = createLlmPlanner({ baseURL: rec.baseURL, model: 'recorded-model', apiKey: 'k' });
    const r = await planner.plan('put the red block in the blue bowl', world);
    expect(r).toMatchObject({
      ok: true,
      attempts: 1,
      plan: { source: 'llm', instruction: 'put the red block in the blue bowl' },
    });
    if (r.ok) expect(r.plan.steps).toEqual(JSON.parse(GOOD).steps);
    expect(rec.requests).toHaveLength(1);
    expect(rec.requests[0]!.url).toBe('/v1/chat/completions');
    expect(rec.requests[0]!.body.model).toBe('recorded-model');
    expect(rec.requests[0]!.body.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'plan', strict: true, schema: planJsonSchema() },
    });
    const user = rec.requests[0]!.body.messages.at(-1)!.content;
    expect(user).toContain('red_block');
    expect(user).toContain('put the red block in the blue bowl');
  });

  it('re-prompts with the JSON error after a malformed reply, then succeeds', async () => {
    const rec = await playback(['{"steps": [{"skill": "pick", "object": "red_bl', GOOD]);
    const r = await createLlmPlanner({ baseURL: rec.baseURL, model: 'm' }).plan(
      'put the red block in the blue bowl',
      world,
    );
    expect(r).toMatchObject({ ok: true, attempts: 2 });
    expect(rec.requests).toHaveLength(2);
    const retry = rec.requests[1]!.body.messages;
    expect(retry.at(-2)).toMatchObject({
      role: 'assistant',
      content: '{"steps": [{"skill": "pick", "object": "red_bl',
    });
    expect(retry.at(-1)!.content).toMatch(/invalid JSON/);
  });

  it('re-prompts naming the missing object, then takes the fix', async () => {
    const missing =
      '{"steps":[{"skill":"pick","object":"purple_block"},{"skill":"place","object":"purple_block","target":"blue_bowl"}]}';
    const rec = await playback([missing, GOOD]);
    const r = await createLlmPlanner({ baseURL: rec.baseURL, model: 'm' }).plan(
      'put the red block in the blue bowl',
      world,
    );
    expect(r).toMatchObject({ ok: true, attempts: 2 });
    expect(rec.requests[1]!.body.messages.at(-1)!.content).toContain('no purple block in the scene');
  });

  it('re-prompts on a schema violation (fenced JSON is read)', async () => {
    const rec = await playback([
      '```json\n{"steps":[{"skill":"teleport","object":"red_block"}]}\n```',
      `\`\`\`json\n${GOOD}\n\`\`\``,
    ]);
    const r = await createLlmPlanner({ baseURL: rec.baseURL, model: 'm' }).plan(
      'put the red block in the blue bowl',
      world,
    );
    expect(r).toMatchObject({ ok: true, attempts: 2 });
    expect(rec.requests[1]!.body.messages.at(-1)!.content).toMatch(
      /does not fit the plan schema: steps\.0\.skill/,
    );
  });

  it('fails after maxAttempts invalid replies, with every error', async () => {
    const rec = await playback([
      'not json',
      '{"steps":[{"skill":"pick","object":"ghost"}]}',
      '{"steps":[]}',
      GOOD,
    ]);
    const r = await createLlmPlanner({ baseURL: rec.baseURL, model: 'm', maxAttempts: 3 }).plan('x', world);
    expect(rec.requests).toHaveLength(3);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.attempts).toBe(3);
    expect(r.errors).toHaveLength(3);
    expect(r.errors[0]).toMatch(/^attempt 1: invalid JSON/);
    expect(r.errors[1]).toMatch(/^attempt 2: .*no object "ghost" in the scene/);
    expect(r.errors[2]).toMatch(/^attempt 3: the plan has no steps/);
    expect(r.reason).toMatch(/failed after 3 attempts/);
  });

  it('defaults to 3 attempts', async () => {
    const rec = await playback(['a', 'b', 'c', GOOD]);
    const r = await createLlmPlanner({ baseURL: rec.baseURL, model: 'm' }).plan('x', world);
    expect(r).toMatchObject({ ok: false, attempts: 3 });
    expect(rec.requests).toHaveLength(3);
  });

  it('fails without retrying on an HTTP error or a timeout', async () => {
    const err = await playback([]);
    const r = await createLlmPlanner({ baseURL: err.baseURL, model: 'm' }).plan('x', world);
    expect(r).toMatchObject({
      ok: false,
      attempts: 1,
      reason: expect.stringMatching(/request to .* failed/),
    });
    expect(err.requests).toHaveLength(1);
    open?.closeAllConnections();
    await new Promise<void>((resolve) => open!.close(() => resolve()));
    open = undefined;

    const hang = await playback(['hang']);
    const t = await createLlmPlanner({ baseURL: hang.baseURL, model: 'm', timeoutMs: 100 }).plan('x', world);
    expect(t).toMatchObject({ ok: false, attempts: 1, reason: expect.stringMatching(/timed out/i) });
    expect(hang.requests).toHaveLength(1);
  });

  it('rejects bad options with the field named', () => {
    expect(() => createLlmPlanner({ baseURL: 'not a url', model: 'm' })).toThrow(UserError);
    expect(() => createLlmPlanner({ baseURL: 'http://x/v1', model: 'm', maxAttempts: 0 })).toThrow(
      /maxAttempts/,
    );
  });

  it('sends a schema without oneOf or const, which strict structured outputs reject', () => {
    const text = JSON.stringify(planJsonSchema());
    expect(text).not.toMatch(/"oneOf"|"const"|"\$schema"/);
    expect(text).toContain('"anyOf"');
  });
});
