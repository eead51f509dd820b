/**
 * The language policy node planning with the LLM planner, on a whole graph episode. The
 * LLM endpoint cannot run here: a real local HTTP server (node:http, port 0) stands in
 * for it and plays recorded chat-completion replies, malformed ones included.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runEpisode } from '../../src/eval/runEpisode.ts';
import type { EpisodeSpec } from '../../src/eval/types.ts';

const GOOD =
  '{"steps":[{"skill":"pick","object":"red_block"},{"skill":"place","object":"red_block","target":"blue_bowl"}]}';

let open: Server | undefined;
afterEach(async () => {
  open?.closeAllConnections();
  await new Promise<void>((resolve) => (open ? open.close(() => resolve()) : resolve()));
  open = undefined;
});

/** Serves `replies` in order as chat completions; counts requests. */
async function endpoint(replies: string[]): Promise<{ baseURL: string; requests: () => number }> {
  let n = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const content = replies[n++] ?? '{"steps":[]}';
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: 'chatcmpl-recorded',
          object: 'chat.completion',
          created: 1_700_000_000,
          model: 'recorded',
          choices: [
            { index: 0, finish_reason: 'stop', message: { role: 'assistant', content, refusal: null } },
          ],
        }),
      );
    });
  });
  open = server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, requests: () => n };
}

function spec(baseURL: string): EpisodeSpec {
  // pick_place seed 16: the red block into the blue bowl.
  return {
    task: 'pick_place',
    robot: 'ur5e',
    seed: 16,
    policy: 'language',
    split: 'seen',
    index: 0,
    llm: { baseURL, model: 'recorded' },
  };
}

describe('the language policy node with the LLM planner', () => {
  it('re-prompts after a reply naming a missing object, then carries out the plan', async () => {
    const missing = '{"steps":[{"skill":"pick","object":"purple_block"}]}';
    const llm = await endpoint([missing, GOOD]);
    const r = await runEpisode(spec(llm.baseURL));
    expect(llm.requests()).toBe(2);
    expect((r.plan as { source: string; steps: unknown[] }).source).toBe('llm');
    expect((r.plan as { steps: unknown[] }).steps).toEqual(JSON.parse(GOOD).steps);
    expect(r.success).toBe(true);
  });

  it("runs no plan and gives every attempt's error when every reply is invalid", async () => {
    const llm = await endpoint(['not json', '{"steps":[{"skill":"fly"}]}', '{"steps":"x"}']);
    const r = await runEpisode(spec(llm.baseURL));
    expect(llm.requests()).toBe(3);
    expect(r.success).toBe(false);
    expect(r.plan).toBeNull();
    expect(r.policyFailure).toMatch(/attempt 1: .*attempt 2: .*attempt 3: /s);
    expect(r.commandsRejected).toBe(0);
  });
});
