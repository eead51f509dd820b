/**
 * A ROS 2 node: the factory for publishers, subscriptions, timers, services, actions
 * and parameters (rclnodejs/rclpy shaped). Create with `context.createNode`.
 */
import { UserError } from '../errors.ts';
import type { IncompatibleQosEvent, NameAndTypes, QosProfile, Transport } from '../transports/Transport.ts';
import { ActionClient } from './ActionClient.ts';
import { ActionServer, type ActionServerCallbacks, type ActionServerOptions } from './ActionServer.ts';
import { type CallOptions, Client } from './Client.ts';
import { Emitter } from './Emitter.ts';
import { GraphError } from './GraphError.ts';
import { type Logger, prefixLogger } from './Logger.ts';
import type { MessageCodec, MessageValidator } from './MessageRegistry.ts';
import { assertNodeName, expandTopicName, normalizeNamespace } from './Names.ts';
import {
  type ParameterChange,
  type ParameterDescriptor,
  ParameterStore,
  type ParameterValue,
  type SetParametersResult,
  type Widen,
} from './Parameters.ts';
import { Publisher } from './Publisher.ts';
import { resolveQos } from './Qos.ts';
import { Service, type ServiceHandler } from './Service.ts';
import type { SimClock } from './SimClock.ts';
import { Subscription, type SubscriptionCallback } from './Subscription.ts';
import { wallNow } from './Time.ts';
import { Timer, type TimerOptions } from './Timer.ts';
import type {
  ActionTypeName,
  FeedbackOf,
  GoalOf,
  MessageOf,
  MessageTypeName,
  RequestOf,
  ResponseOf,
  ResultOf,
  ServiceTypeName,
  Time,
} from './types.ts';

export type { CallOptions };

export interface NodeOptions {
  /** Namespace; relative names resolve under it. `''` and `'arm'` mean `'/'` and `'/arm'`. @default '/' */
  namespace?: string;
  /** Values that replace declared parameters' defaults (from a launch file), checked on declaration. */
  parameterOverrides?: Readonly<Record<string, unknown>>;
}

/** Something went wrong that the node survived; also written to the log. */
export interface GraphErrorEvent {
  kind: 'invalid_message' | 'callback' | 'service' | 'action' | 'timer';
  /** Fully qualified topic, service or action name; for timers, `timer`. */
  topic: string;
  error: Error;
}

export interface NodeEvents {
  error: (event: GraphErrorEvent) => void;
  incompatibleQos: (event: IncompatibleQosEvent & { side: 'publisher' | 'subscription' }) => void;
}

/** @internal What a node's entities need from it. */
export interface NodeCore {
  readonly transport: Transport;
  readonly validator: MessageValidator;
  readonly fullyQualifiedName: string;
  codec(): MessageCodec;
  now(): Time;
  reportError(event: GraphErrorEvent): void;
  reportIncompatibleQos(side: 'publisher' | 'subscription', event: IncompatibleQosEvent): void;
  destroyedError(what: string): GraphError;
  forget(entity: Destroyable): void;
  createPublisherRaw(type: string, topic: string, qos: QosProfile): Publisher;
  createSubscriptionRaw(
    type: string,
    topic: string,
    qos: QosProfile,
    cb: SubscriptionCallback<unknown>,
  ): Subscription;
  createServiceRaw(type: string, name: string, handler: ServiceHandler<unknown, unknown>): Service;
  createClientRaw(type: string, name: string): Client;
}

interface Destroyable {
  destroy(): void;
}

/** @internal What a node needs from its context. */
export interface ContextCore {
  readonly transport: Transport;
  readonly validator: MessageValidator;
  readonly codec: MessageCodec | undefined;
  readonly simClock: SimClock | undefined;
  readonly logger: Logger;
  removeNode(node: Node): void;
}

export class Node extends Emitter<NodeEvents> {
  readonly name: string;
  readonly namespace: string;
  /** `/namespace/name`. */
  readonly fullyQualifiedName: string;
  readonly logger: Logger;
  readonly #ctx: ContextCore;
  readonly #core: NodeCore;
  readonly #entities = new Set<Destroyable>();
  readonly #params: ParameterStore;
  #destroyed = false;

  /** @internal Use `context.createNode`. */
  constructor(ctx: ContextCore, name: string, options: NodeOptions = {}) {
    super();
    assertNodeName(name, 'createNode');
    this.name = name;
    this.namespace = normalizeNamespace(options.namespace, `createNode ${name}`);
    this.fullyQualifiedName = `${this.namespace === '/' ? '' : this.namespace}/${name}`;
    this.#ctx = ctx;
    this.logger = prefixLogger(ctx.logger, this.fullyQualifiedName);
    this.#params = new ParameterStore(options.parameterOverrides ?? {}, this.fullyQualifiedName);
    this.#core = this.#makeCore();
  }

  /**
   * Publishes `type` on `topic` (relative names resolve under the namespace, `~/x` under
   * the node). `qos` is a profile, a partial one (filled from QOS_DEFAULT) or a keep-last depth.
   */
  createPublisher<T extends MessageTypeName>(
    type: T,
    topic: string,
    qos?: Partial<QosProfile> | number,
  ): Publisher<MessageOf<T>> {
    const name = this.#resolve(topic, 'topic');
    return this.#track(new Publisher<MessageOf<T>>(this.#core, type, name, resolveQos(qos, `${name} qos`)));
  }

  /** Calls `callback` with each message on `topic`; see Subscription for error handling. */
  createSubscription<T extends MessageTypeName>(
    type: T,
    topic: string,
    qos: Partial<QosProfile> | number | undefined,
    callback: SubscriptionCallback<MessageOf<T>>,
  ): Subscription<MessageOf<T>> {
    const name = this.#resolve(topic, 'topic');
    return this.#track(
      new Subscription<MessageOf<T>>(this.#core, type, name, resolveQos(qos, `${name} qos`), callback),
    );
  }

  /**
   * Calls `callback` every `periodSeconds`, on sim time (deterministic, fired as the
   * SimClock advances) or wall time. A callback that throws is reported; the timer goes on.
   */
  createTimer(periodSeconds: number, callback: () => void, options: TimerOptions = {}): Timer {
    this.#assertAlive('createTimer');
    if (!(periodSeconds > 0) || !Number.isFinite(periodSeconds)) {
      throw new UserError(`timer period must be a finite number of seconds > 0 (got ${periodSeconds})`, {
        source: `${this.fullyQualifiedName} createTimer`,
      });
    }
    const clock = options.clock ?? (this.#ctx.simClock ? 'sim' : 'wall');
    if (clock === 'sim' && !this.#ctx.simClock) {
      throw new UserError(
        "a 'sim' timer needs a context created with a sim clock (createContext({ clock }))",
        {
          source: `${this.fullyQualifiedName} createTimer`,
        },
      );
    }
    const fire = () => {
      try {
        callback();
      } catch (error) {
        this.#core.reportError({
          kind: 'timer',
          topic: 'timer',
          error: error instanceof Error ? error : new Error(String(error)),
        });
      }
    };
    const timer = new Timer(periodSeconds, fire, clock === 'sim' ? this.#ctx.simClock : undefined, (t) =>
      this.#entities.delete(t),
    );
    this.#entities.add(timer);
    return timer;
  }

  /** Serves `type` (`std_srvs/srv/Trigger`) at `name`; `handler` may be async. */
  createService<S extends ServiceTypeName>(
    type: S,
    name: string,
    handler: ServiceHandler<RequestOf<S>, ResponseOf<S>>,
  ): Service<RequestOf<S>, ResponseOf<S>> {
    const fq = this.#resolve(name, 'service');
    return this.#track(new Service(this.#core, type, fq, handler));
  }

  createClient<S extends ServiceTypeName>(type: S, name: string): Client<RequestOf<S>, ResponseOf<S>> {
    const fq = this.#resolve(name, 'service');
    return this.#track(new Client<RequestOf<S>, ResponseOf<S>>(this.#core, type, fq));
  }

  createActionServer<A extends ActionTypeName>(
    type: A,
    name: string,
    callbacks: ActionServerCallbacks<GoalOf<A>, ResultOf<A>, FeedbackOf<A>>,
    options?: ActionServerOptions,
  ): ActionServer<GoalOf<A>, ResultOf<A>, FeedbackOf<A>> {
    const fq = this.#resolve(name, 'action');
    return this.#track(new ActionServer(this.#core, type, fq, callbacks, options));
  }

  createActionClient<A extends ActionTypeName>(
    type: A,
    name: string,
  ): ActionClient<GoalOf<A>, ResultOf<A>, FeedbackOf<A>> {
    const fq = this.#resolve(name, 'action');
    return this.#track(new ActionClient<GoalOf<A>, ResultOf<A>, FeedbackOf<A>>(this.#core, type, fq));
  }

  /**
   * Declares a parameter and returns its value: the override if the node was given one,
   * else `defaultValue`. Throws a UserError if either fails the descriptor.
   */
  declareParameter<V extends ParameterValue>(
    name: string,
    defaultValue: V,
    descriptor: ParameterDescriptor = {},
  ): Widen<V> {
    this.#assertAlive('declareParameter');
    return this.#params.declare(name, defaultValue, descriptor) as Widen<V>;
  }

  hasParameter(name: string): boolean {
    return this.#params.has(name);
  }

  /** The current value; throws a UserError if `name` was never declared. */
  getParameter<V extends ParameterValue = ParameterValue>(name: string): V {
    return this.#params.get(name) as V;
  }

  /** Declared names, sorted. */
  getParameterNames(): string[] {
    return this.#params.names();
  }

  describeParameter(name: string) {
    return this.#params.descriptor(name);
  }

  /**
   * Sets each parameter independently; a result per change says whether it took and why
   * not (undeclared, read-only, wrong type, out of range, refused by a callback).
   */
  setParameters(changes: ParameterChange[]): SetParametersResult[] {
    return this.#params.set(changes);
  }

  /** Like rclpy's add_on_set_parameters_callback: may veto a change. Returns a remover. */
  addOnSetParametersCallback(callback: (changes: ParameterChange[]) => SetParametersResult): () => void {
    return this.#params.addOnSetCallback(callback);
  }

  /** Sim time when the context has a sim clock, else wall time. */
  now(): Time {
    return this.#ctx.simClock ? this.#ctx.simClock.now() : wallNow();
  }

  getTopicNamesAndTypes(): NameAndTypes[] {
    return this.#ctx.transport.getTopicNamesAndTypes();
  }

  getServiceNamesAndTypes(): NameAndTypes[] {
    return this.#ctx.transport.getServiceNamesAndTypes();
  }

  /** Expands `name` as this node would (`~/x`, relative, `{node}`), validating it. */
  resolveName(name: string, kind: 'topic' | 'service' | 'action' = 'topic'): string {
    return expandTopicName(name, this.name, this.namespace, kind, this.fullyQualifiedName);
  }

  get isDestroyed(): boolean {
    return this.#destroyed;
  }

  /** Destroys every entity the node created. Safe to call twice. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    for (const e of [...this.#entities]) e.destroy();
    this.#entities.clear();
    this.#ctx.removeNode(this);
    this.removeAllListeners();
  }

  #resolve(name: string, kind: 'topic' | 'service' | 'action'): string {
    this.#assertAlive(`create ${kind} ${name}`);
    return this.resolveName(name, kind);
  }

  #track<E extends Destroyable>(entity: E): E {
    this.#entities.add(entity);
    return entity;
  }

  #assertAlive(what: string): void {
    if (this.#destroyed) throw this.#core.destroyedError(what);
  }

  #makeCore(): NodeCore {
    const ctx = this.#ctx;
    const core: NodeCore = {
      transport: ctx.transport,
      validator: ctx.validator,
      fullyQualifiedName: this.fullyQualifiedName,
      codec: () => {
        if (!ctx.codec) throw new Error('this transport carries CDR bytes: pass createContext({ codec })');
        return ctx.codec;
      },
      now: () => this.now(),
      reportError: (event) => {
        const what =
          event.kind === 'invalid_message'
            ? `dropped invalid message on ${event.topic}`
            : `${event.kind} error on ${event.topic}`;
        this.logger.error(`${what}: ${event.error.message}`);
        this.emit('error', event);
      },
      reportIncompatibleQos: (side, event) => {
        this.logger.warn(
          `incompatible QoS on ${event.topic} (${event.lastPolicyKind}): ${event.reason}; not connected`,
        );
        this.emit('incompatibleQos', { ...event, side });
      },
      destroyedError: (what) =>
        new GraphError('DESTROYED', `${what}: node ${this.fullyQualifiedName} was destroyed`),
      forget: (entity) => {
        this.#entities.delete(entity);
      },
      createPublisherRaw: (type, topic, qos) => this.#track(new Publisher(core, type, topic, qos)),
      createSubscriptionRaw: (type, topic, qos, cb) =>
        this.#track(new Subscription(core, type, topic, qos, cb)),
      createServiceRaw: (type, name, handler) => this.#track(new Service(core, type, name, handler)),
      createClientRaw: (type, name) => this.#track(new Client(core, type, name)),
    };
    return core;
  }
}
