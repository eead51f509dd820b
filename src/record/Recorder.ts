/**
 * Records every topic of a graph to an MCAP file, as rosbag2's MCAP storage plugin writes
 * them, so Foxglove and `ros2 bag play` read the file:
 *
 * - header profile `ros2`;
 * - one schema per message type: encoding `ros2msg`, the type's .msg text with each
 *   dependency after a line of 80 `=` and `MSG: pkg/msg/Type`;
 * - one channel per (topic, type): message encoding `cdr`, and `offered_qos_profiles` in its
 *   metadata (the YAML rosbag2 writes), so `ros2 bag play` republishes latched topics latched;
 * - messages in ROS 2 CDR, log and publish time in nanoseconds of the graph clock (sim time
 *   when the context runs on one);
 * - chunked: a chunk is written out when it holds `chunkSizeBytes`, so a crash loses at most
 *   the chunk being filled (see FileWritable for why what was written out survives).
 *
 *   const recorder = startRecording(context, { path: 'out.mcap' });
 *   ... // nodes publish; topics that appear later are picked up within discoverIntervalMs
 *   await recorder.close();
 *
 * The recorder is one node (`/recorder`) with one subscription per topic. Subscriptions are
 * best effort, so they match reliable and best-effort publishers alike, and keep all, so the
 * local transport drops nothing it queues; `/robot_description`, `/tf_static` and
 * `/policy/plan` (in any namespace) are transient local, so their latched samples are recorded even when they were
 * published before the recorder started.
 */
import { isMainThread } from 'node:worker_threads';
import { LIBRARY_IDENTIFIER, McapWriter } from '@mcap/core';
import { UserError } from '../errors.ts';
import type { Context } from '../graph/Context.ts';
import type { Node } from '../graph/Node.ts';
import type { QosProfile } from '../graph/Qos.ts';
import { timeToNs } from '../graph/Time.ts';
import { encodeCdr } from '../msgs/cdr.ts';
import { hasMessageType, messageDefinitionText } from '../msgs/messageDefinition.ts';
import { FileWritable } from './FileWritable.ts';

export interface RecorderOptions {
  /** The MCAP file to write; created, or truncated if it exists. */
  path: string;
  /** Where `path` came from (a flag such as `--record`), for error messages. @default 'record' */
  source?: string;
  /**
   * Message bytes a chunk collects before it is written out. This is the most a crash can
   * lose; smaller chunks lose less but add ~100 bytes of index per chunk and channel.
   * @default 262144 (256 KiB: about 0.3 s of an episode without camera images)
   */
  chunkSizeBytes?: number;
  /**
   * Wall-clock period at which new topics are looked for, ms. 0: only when `discover()` is
   * called (the eval calls it once its nodes are made, then every 12 ticks).
   * @default 100
   */
  discoverIntervalMs?: number;
  /** Records only the (topic, type) pairs for which this returns true. @default every topic */
  topicFilter?: (topic: string, type: string) => boolean;
  /** Name of the recorder's node. @default 'recorder' */
  nodeName?: string;
  /**
   * In the main thread, finish the file (write its index) on SIGINT or SIGTERM, then let the
   * signal take its course. Without it a Ctrl-C leaves a file readable up to its last chunk.
   * @default true in the main thread
   */
  finishOnSignal?: boolean;
}

/** What a recording holds; `close()` returns it. */
export interface RecordingSummary {
  path: string;
  /** Messages written, over all channels. */
  messages: number;
  /** Messages per topic. */
  topics: Record<string, number>;
  /** Messages that could not be encoded (the first error per topic is logged). */
  encodeErrors: number;
  /** Set when writing failed (disk full, file removed); recording stopped there. */
  writeError?: string;
}

/** Topics whose publishers are latched (transient local) by ROS convention. */
const LATCHED_SUFFIXES = ['/robot_description', '/tf_static', '/policy/plan'];
const DEFAULT_CHUNK_BYTES = 256 * 1024;

interface ChannelState {
  topic: string;
  type: string;
  /** Assigned by the writer when the registration op runs, before any message op of the channel. */
  id: number;
  sequence: number;
  count: number;
  errors: number;
}

type Op = () => Promise<unknown>;

export class Recorder {
  readonly path: string;
  readonly #context: Context;
  readonly #node: Node;
  readonly #file: FileWritable;
  readonly #writer: McapWriter;
  readonly #filter: ((topic: string, type: string) => boolean) | undefined;
  /** topic -> type -> channel, for discovery without string concatenation. */
  readonly #seen = new Map<string, Map<string, ChannelState | undefined>>();
  readonly #channels: ChannelState[] = [];
  readonly #schemaIds = new Map<string, Promise<number>>();
  #ops: Op[] = [];
  #draining: Promise<void> | undefined;
  #writeError: Error | undefined;
  #encodeErrors = 0;
  #messages = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #closing: Promise<RecordingSummary> | undefined;

  /** @internal Use `startRecording`. */
  constructor(context: Context, options: RecorderOptions) {
    this.path = options.path;
    this.#context = context;
    const source = options.source ?? 'record';
    const chunkSize = options.chunkSizeBytes ?? DEFAULT_CHUNK_BYTES;
    if (!(Number.isInteger(chunkSize) && chunkSize >= 1)) {
      throw new UserError(`chunkSizeBytes must be an integer >= 1 (got ${chunkSize})`, { source });
    }
    const interval = options.discoverIntervalMs ?? 100;
    if (!(interval >= 0 && Number.isFinite(interval))) {
      throw new UserError(`discoverIntervalMs must be a finite number >= 0 (got ${interval})`, { source });
    }
    this.#filter = options.topicFilter;
    this.#file = new FileWritable(options.path, source);
    this.#node = context.createNode(options.nodeName ?? 'recorder');
    this.#writer = new McapWriter({ writable: this.#file, chunkSize });
    this.#enqueue(() => this.#writer.start({ profile: 'ros2', library: `simbridge; ${LIBRARY_IDENTIFIER}` }));
    this.discover();
    if (interval > 0) {
      this.#timer = setInterval(() => this.discover(), interval);
      this.#timer.unref();
    }
    if (options.finishOnSignal ?? isMainThread) openRecorders.add(this);
    watchSignals();
  }

  /**
   * Subscribes to topics that appeared since the last call; returns how many (topic, type)
   * pairs were added. Cheap enough to call every tick (a few µs for 30 topics).
   */
  discover(): number {
    if (this.#closing) return 0;
    let added = 0;
    for (const { name, types } of this.#context.transport.getTopicNamesAndTypes()) {
      let byType = this.#seen.get(name);
      for (const type of types) {
        if (byType?.has(type)) continue;
        if (!byType) {
          byType = new Map();
          this.#seen.set(name, byType);
        }
        byType.set(type, this.#addChannel(name, type));
        added++;
      }
    }
    return added;
  }

  /**
   * Writes an MCAP metadata record (a name and string key/value pairs), e.g. the episode
   * record `simbridge.episode`. Written at once, outside any chunk.
   */
  addMetadata(name: string, metadata: Readonly<Record<string, string>>): void {
    if (this.#closing) throw new Error(`addMetadata(${name}): the recording ${this.path} is closed`);
    const map = new Map(Object.entries(metadata));
    this.#enqueue(() => this.#writer.addMetadata({ name, metadata: map }));
  }

  /** Counts so far. */
  get summary(): RecordingSummary {
    const topics: Record<string, number> = {};
    for (const c of this.#channels) topics[c.topic] = (topics[c.topic] ?? 0) + c.count;
    return {
      path: this.path,
      messages: this.#messages,
      topics,
      encodeErrors: this.#encodeErrors,
      ...(this.#writeError ? { writeError: this.#writeError.message } : {}),
    };
  }

  /**
   * Stops recording, writes the last chunk and the index (summary, footer), and closes the
   * file. Safe to call twice; later calls return the same promise.
   */
  close(): Promise<RecordingSummary> {
    this.#closing ??= this.#finish();
    return this.#closing;
  }

  async #finish(): Promise<RecordingSummary> {
    if (this.#timer) clearInterval(this.#timer);
    openRecorders.delete(this);
    watchSignals();
    this.#node.destroy();
    // Ops queued before close still run; #enqueue refuses new ones from here on.
    await this.#draining;
    if (!this.#writeError) {
      try {
        await this.#writer.end();
      } catch (err) {
        this.#writeError = err instanceof Error ? err : new Error(String(err));
      }
    }
    this.#file.close();
    return this.summary;
  }

  #addChannel(topic: string, type: string): ChannelState | undefined {
    if (this.#filter && !this.#filter(topic, type)) return undefined;
    if (!hasMessageType(type)) {
      this.#node.logger.warn(`not recording ${topic}: unknown message type ${type}`);
      return undefined;
    }
    const latched = LATCHED_SUFFIXES.some((s) => topic.endsWith(s));
    const channel: ChannelState = { topic, type, id: -1, sequence: 0, count: 0, errors: 0 };
    this.#channels.push(channel);
    this.#enqueue(async () => {
      channel.id = await this.#writer.registerChannel({
        topic,
        schemaId: await this.#schemaId(type),
        messageEncoding: 'cdr',
        metadata: new Map([['offered_qos_profiles', offeredQosYaml(latched)]]),
      });
    });
    const qos: QosProfile = {
      history: 'keep_all',
      depth: 1,
      reliability: 'best_effort',
      durability: latched ? 'transient_local' : 'volatile',
    };
    this.#node.createSubscription(type as 'std_msgs/msg/String', topic, qos, (msg) =>
      this.#record(channel, msg),
    );
    return channel;
  }

  #schemaId(type: string): Promise<number> {
    let id = this.#schemaIds.get(type);
    if (!id) {
      id = this.#writer.registerSchema({
        name: type,
        encoding: 'ros2msg',
        data: new TextEncoder().encode(messageDefinitionText(type)),
      });
      this.#schemaIds.set(type, id);
    }
    return id;
  }

  #record(channel: ChannelState, msg: unknown): void {
    if (this.#closing || this.#writeError) return;
    let data: Uint8Array;
    try {
      data = encodeCdr(channel.type, msg as never, channel.topic);
    } catch (err) {
      this.#encodeErrors++;
      if (channel.errors++ === 0) {
        this.#node.logger.error(`not recording a message on ${channel.topic}: ${(err as Error).message}`);
      }
      return;
    }
    const sim = this.#context.simClock;
    const time = sim ? sim.nowNanoseconds() : timeToNs(this.#node.now());
    const sequence = ++channel.sequence;
    channel.count++;
    this.#messages++;
    this.#enqueue(() =>
      this.#writer.addMessage({ channelId: channel.id, sequence, logTime: time, publishTime: time, data }),
    );
  }

  /**
   * McapWriter's calls must not overlap (each may await a write), but messages arrive
   * synchronously: queue them and run the queue in order.
   */
  #enqueue(op: Op): void {
    if (this.#writeError || this.#closing) return;
    this.#ops.push(op);
    this.#draining ??= this.#drain();
  }

  async #drain(): Promise<void> {
    const ops = this.#ops;
    try {
      // Ops queued while one awaits are appended to the same array and run in this loop.
      for (let i = 0; i < ops.length; i++) await ops[i]!();
    } catch (err) {
      this.#writeError = err instanceof Error ? err : new Error(String(err));
      this.#node.logger.error(`recording to ${this.path} stopped: ${this.#writeError.message}`);
    } finally {
      ops.length = 0;
      this.#draining = undefined;
    }
  }
}

/**
 * Starts recording every topic of `context` to `options.path`.
 * @throws UserError naming the path if the file cannot be created
 */
export function startRecording(context: Context, options: RecorderOptions): Recorder {
  return new Recorder(context, options);
}

/**
 * rosbag2's `offered_qos_profiles` channel metadata (Humble's YAML and rmw enum values):
 * reliable, keep last, and transient local for latched topics. The publishers' own profiles
 * are not visible through the transport interface; reliable is what `ros2 bag play` would
 * pick for either kind of subscriber.
 */
function offeredQosYaml(latched: boolean): string {
  const infinite = '\n    sec: 2147483647\n    nsec: 4294967295';
  return [
    '- history: 1',
    `  depth: ${latched ? 1 : 10}`,
    '  reliability: 1',
    `  durability: ${latched ? 1 : 2}`,
    `  deadline:${infinite}`,
    `  lifespan:${infinite}`,
    '  liveliness: 1',
    `  liveliness_lease_duration:${infinite}`,
    '  avoid_ros_namespace_conventions: false',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Finishing files on SIGINT/SIGTERM

const openRecorders = new Set<Recorder>();
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
let watching = false;

/** Listens for signals while some recorder wants it, and only then. */
function watchSignals(): void {
  const want = openRecorders.size > 0;
  if (want === watching) return;
  watching = want;
  for (const s of SIGNALS) {
    if (want) process.on(s, onSignal);
    else process.off(s, onSignal);
  }
}

function onSignal(signal: NodeJS.Signals): void {
  const closing = [...openRecorders].map((r) => r.close());
  void Promise.allSettled(closing).then(() => {
    watchSignals();
    // If nobody else handles the signal, re-raise it so the process ends as it would have.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  });
}
