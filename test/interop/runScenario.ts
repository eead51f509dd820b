/** Runs one scenario of scenario.ts against a peer binary inside a fresh network namespace. */
import { expect } from 'vitest';
import { runInNamespace } from './netns.ts';

export interface Outcome {
  ok: boolean;
  error?: string;
  result: {
    peerReceived?: string[];
    weReceived?: string[];
    replies?: unknown[];
    requests?: unknown[];
    served?: string[];
  };
  stats: { datagramsDropped: number };
}

/** Fails with the scenario's own error; asserts that no datagram was dropped as malformed. */
export async function runScenario(peer: string, scenario: string): Promise<Outcome> {
  const out = JSON.parse(
    (await runInNamespace('test/interop/scenario.ts', [scenario, peer], 60_000)).trim().split('\n').at(-1)!,
  ) as Outcome;
  if (!out.ok) throw new Error(`${scenario}: ${out.error}`);
  expect(out.stats.datagramsDropped).toBe(0);
  return out;
}
