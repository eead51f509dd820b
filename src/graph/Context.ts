/**
 * The root of a graph: one transport, one message validator, one clock, many nodes.
 *
 *   const context = createContext({ transport: new LocalTransport(), validator: await msgsValidator() });
 *   const node = context.createNode('policy', { namespace: '/arm' });
 */
import { UserError } from '../errors.ts';
import type { Transport } from '../transports/Transport.ts';
import { type Logger, stderrLogger } from './Logger.ts';
import type { MessageCodec, MessageValidator } from './MessageRegistry.ts';
import { Node, type NodeOptions } from './Node.ts';
import { QOS_CLOCK } from './Qos.ts';
import { SimClock } from './SimClock.ts';
import { timeToNs } from './Time.ts';
import type { Time } from './types.ts';

export interface ContextOptions {
  /** How nodes reach each other. */
  transport: Transport;
  /** Checks messages at the boundary; `permissiveValidator` is a stand-in for tests. */
  validator: MessageValidator;
  /** Needed only by transports with `kind: 'cdr'`. */
  codec?: MessageCodec;
  /**
   * - `'wall'`: `now()` is wall time; timers default to wall time.
   * - a `SimClock`: `now()` and sim timers follow it; whoever owns it (the sim node, a
   *   test) advances it directly. Deterministic.
   * - `'sim'`: the context makes a SimClock and drives it from `/clock`
   *   (rosgraph_msgs/msg/Clock), as `use_sim_time` does; a clock that goes back resets it.
   * @default 'wall'
   */
  clock?: 'wall' | 'sim' | SimClock;
  /** @default writes to stderr */
  logger?: Logger;
}

export class Context {
  readonly transport: Transport;
  readonly validator: MessageValidator;
  /** Present when the context runs on sim time. */
  readonly simClock: SimClock | undefined;
  readonly logger: Logger;
  readonly #codec: MessageCodec | undefined;
  readonly #nodes = new Map<string, Node>();
  #clockNode: Node | undefined;
  #destroyed = false;

  /** @internal Use `createContext`. */
  constructor(options: ContextOptions) {
    this.transport = options.transport;
    this.validator = options.validator;
    this.logger = options.logger ?? stderrLogger;
    this.#codec = options.codec;
    const clock = options.clock ?? 'wall';
    this.simClock = clock === 'wall' ? undefined : clock === 'sim' ? new SimClock() : clock;
    if (clock === 'sim') {
      const sim = this.simClock!;
      this.#clockNode = this.createNode('_clock_listener');
      this.#clockNode.createSubscription('rosgraph_msgs/msg/Clock', '/clock', QOS_CLOCK, (msg) => {
        const t = timeToNs((msg as { clock: Time }).clock);
        if (t >= sim.nowNanoseconds()) sim.advanceTo(t);
        else sim.reset(t);
      });
    }
  }

  /** Creates a node; a second node with the same fully qualified name is a UserError. */
  createNode(name: string, options: NodeOptions = {}): Node {
    if (this.#destroyed) throw new Error('createNode: the context was destroyed');
    const self = this;
    const node = new Node(
      {
        transport: this.transport,
        validator: this.validator,
        codec: this.#codec,
        simClock: this.simClock,
        logger: this.logger,
        removeNode(n) {
          if (self.#nodes.get(n.fullyQualifiedName) !== n) return;
          self.#nodes.delete(n.fullyQualifiedName);
          self.transport.removeNode?.(n.fullyQualifiedName);
        },
      },
      name,
      options,
    );
    if (this.#nodes.has(node.fullyQualifiedName)) {
      throw new UserError(`a node named ${node.fullyQualifiedName} already exists in this context`, {
        source: 'createNode',
      });
    }
    this.#nodes.set(node.fullyQualifiedName, node);
    this.transport.addNode?.(node.fullyQualifiedName);
    return node;
  }

  /** Fully qualified names of the live nodes, sorted. */
  getNodeNames(): string[] {
    return [...this.#nodes.keys()].sort();
  }

  /** Destroys every node, then the transport. Safe to call twice. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    for (const node of [...this.#nodes.values()]) node.destroy();
    this.transport.destroy();
  }
}

export function createContext(options: ContextOptions): Context {
  return new Context(options);
}
