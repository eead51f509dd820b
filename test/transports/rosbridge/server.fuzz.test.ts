// Thousands of random and mutated frames against a live server: it never crashes, keeps the
// connection open, and answers every frame the protocol refuses with an error status.
import { decode as cborDecode } from 'cbor-x';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Context, createContext, msgsValidator } from '../../../src/graph/index.ts';
import { LocalTransport } from '../../../src/transports/local/LocalTransport.ts';
import {
  CLIENT_OPS,
  parseRosbridgeMessage,
  parseRosbridgeText,
} from '../../../src/transports/rosbridge/protocol.ts';
import {
  type RosbridgeServer,
  startRosbridgeServer,
} from '../../../src/transports/rosbridge/server/index.ts';
import { captureLogger } from '../../graph/helpers.ts';
import { RawClient } from './fixtures/rawClient.ts';
import { EXCHANGES } from './fixtures/rosbridgeProtocolExamples.ts';

let context: Context;
let server: RosbridgeServer;
let client: RawClient;
let sentinel = 0;

beforeAll(async () => {
  context = createContext({
    transport: new LocalTransport(),
    validator: await msgsValidator(),
    logger: captureLogger(),
  });
  const peer = context.createNode('peer');
  peer.createPublisher('std_msgs/msg/String', '/chatter');
  peer.createService('std_srvs/srv/Trigger', '/trigger', () => ({ success: true, message: '' }));
  server = await startRosbridgeServer({ context, port: 0, maxMessageBytes: 64 * 1024 });
  client = await RawClient.connect(server.url);
});

afterAll(async () => {
  await client?.close();
  await server?.close();
  context?.destroy();
});

/**
 * Sends `frame` between a set_level (so an earlier frame cannot have silenced statuses) and a
 * sentinel call; returns every frame received before the sentinel's answer.
 */
async function exchange(frame: string | Buffer): Promise<Array<Record<string, unknown>>> {
  const id = `sentinel-${++sentinel}`;
  client.send({ op: 'set_level', level: 'error' });
  client.send(frame);
  client.send({ op: 'call_service', id, service: '/trigger' });
  const before: Array<Record<string, unknown>> = [];
  for (;;) {
    const f = await client.next(5000);
    if (f.id === id && f.op === 'service_response') return before;
    before.push(f);
  }
}

/** Valid frames from the documented examples, to mutate. */
const SEEDS = EXCHANGES.flatMap((e) =>
  e.steps.flatMap((s) => ('send' in s ? [s.send as Record<string, unknown>] : [])),
);

const jsonValue = fc.jsonValue({ maxDepth: 3 });

/** A valid frame with one field deleted, replaced by a random value, or its op swapped. */
const mutated = fc
  .tuple(
    fc.constantFrom(...SEEDS),
    fc.nat(),
    jsonValue,
    fc.constantFrom(...CLIENT_OPS, 'nope', ''),
    fc.nat(3),
  )
  .map(([seed, pick, value, op, how]) => {
    const frame: Record<string, unknown> = structuredClone(seed);
    const keys = Object.keys(frame);
    const key = keys[pick % keys.length]!;
    if (how === 0) delete frame[key];
    else if (how === 1) frame[key] = value;
    else if (how === 2) frame.op = op;
    else frame[key] = typeof frame[key] === 'string' ? 42 : 'forty-two';
    return JSON.stringify(frame);
  })
  .filter((text) => !text.includes('"set_level"'));

/** A valid frame's text cut short or with a byte flipped. */
const broken = fc.tuple(fc.constantFrom(...SEEDS), fc.nat(), fc.nat(255)).map(([seed, at, byte]) => {
  const text = JSON.stringify(seed);
  const i = at % text.length;
  return byte % 2 === 0 ? text.slice(0, i) : text.slice(0, i) + String.fromCharCode(byte) + text.slice(i + 1);
});

function checkAnswered(text: string, replies: Array<Record<string, unknown>>): void {
  const parsed = parseRosbridgeText(text, CLIENT_OPS);
  if (parsed.ok) return; // valid frames may or may not answer; the sentinel proved the connection lives
  const errors = replies.filter((r) => r.op === 'status' && r.level === 'error');
  expect(errors.length, `a status error for ${text}`).toBeGreaterThanOrEqual(1);
  expect(String(errors[0]!.msg)).toContain(parsed.issue.field === '(frame)' ? '' : parsed.issue.field);
}

describe('rosbridge server fuzz', () => {
  it('answers 1000 random text frames, JSON or not, each refused one with an error status', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          jsonValue.map((v) => JSON.stringify(v)),
        ),
        async (text) => {
          checkAnswered(text, await exchange(text));
        },
      ),
      { numRuns: 1000 },
    );
    expect(client.closed).toBeUndefined();
  }, 120_000);

  it('answers 1500 mutated and broken protocol frames, each refused one with an error status', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutated, broken), async (text) => {
        checkAnswered(text, await exchange(text));
      }),
      { numRuns: 1500 },
    );
    expect(client.closed).toBeUndefined();
  }, 120_000);

  it('answers 300 random binary frames (not valid CBOR rosbridge messages) with an error status', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 300 }), async (bytes) => {
        const replies = await exchange(Buffer.from(bytes));
        let valid = false;
        try {
          valid = parseRosbridgeMessage(cborDecode(bytes), CLIENT_OPS).ok;
        } catch {
          // not CBOR at all
        }
        const errors = replies.filter((r) => r.op === 'status' && r.level === 'error');
        if (!valid) expect(errors.length, `a status error for ${Buffer.from(bytes).toString('hex')}`).toBe(1);
      }),
      { numRuns: 300 },
    );
    expect(client.closed).toBeUndefined();
    expect(server.stats().clients).toBe(1);
  }, 120_000);
});
