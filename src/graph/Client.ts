/** Calls one service. Create with `node.createClient`. */
import type { ServiceClientHandle } from '../transports/Transport.ts';
import { GraphError } from './GraphError.ts';
import type { NodeCore } from './Node.ts';

export interface CallOptions {
  /**
   * Reject with a GraphError (code TIMEOUT) if no response arrives within this many
   * wall-clock seconds. Services answer in wall time even when the graph runs on sim time.
   * @default no timeout
   */
  timeoutSeconds?: number;
}

let nextClientId = 1;

export class Client<Req = unknown, Res = unknown> {
  /** Fully qualified service name. */
  readonly name: string;
  readonly type: string;
  readonly #core: NodeCore;
  readonly #handle: ServiceClientHandle;
  readonly #clientId = nextClientId++;
  #sequence = 0;
  #destroyed = false;

  /** @internal */
  constructor(core: NodeCore, type: string, name: string) {
    this.#core = core;
    this.type = type;
    this.name = name;
    this.#handle = core.transport.createServiceClient({
      service: name,
      node: core.fullyQualifiedName,
      type,
    });
  }

  /** True while a server for this service (and type) exists. */
  isServiceAvailable(): boolean {
    return !this.#destroyed && this.#handle.isServiceAvailable();
  }

  /**
   * Sends `request` and resolves with the response. Rejects with a GraphError:
   * NO_SERVICE when no server exists at call time, TIMEOUT after `timeoutSeconds`,
   * SERVICE_FAILED when the server's handler threw or rejected the request; and with a
   * UserError when `request` is not a valid request message.
   */
  async call(request: Req, options: CallOptions = {}): Promise<Res> {
    const core = this.#core;
    if (this.#destroyed) throw core.destroyedError(`call ${this.name}`);
    if (!this.#handle.isServiceAvailable()) {
      throw new GraphError('NO_SERVICE', `no server for service ${this.name} (${this.type}) is available`);
    }
    const atReceive = core.transport.validation === 'at-receive';
    const cdr = core.transport.kind === 'cdr';
    const requestType = `${this.type}_Request`;
    const responseType = `${this.type}_Response`;
    if (!atReceive)
      core.validator.validate(requestType, request, `${this.name} request from ${core.fullyQualifiedName}`);
    const payload = cdr ? core.codec().encode(requestType, request) : request;
    const reply = this.#handle.call(payload, { clientId: this.#clientId, sequenceNumber: ++this.#sequence });
    const timeout = options.timeoutSeconds;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const raced =
      timeout === undefined
        ? reply
        : Promise.race([
            reply,
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => {
                reject(
                  new GraphError(
                    'TIMEOUT',
                    `service ${this.name} (${this.type}) did not respond within ${timeout} s`,
                  ),
                );
              }, timeout * 1000);
              timer.unref?.();
            }),
          ]);
    let raw: unknown;
    try {
      raw = await raced;
    } catch (error) {
      if (error instanceof GraphError) throw error;
      throw new GraphError(
        'SERVICE_FAILED',
        `service ${this.name} (${this.type}) failed: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    } finally {
      if (timer) clearTimeout(timer);
    }
    let response = cdr ? core.codec().decode(responseType, raw as Uint8Array) : raw;
    if (atReceive) response = core.validator.validate(responseType, response, `${this.name} response`);
    return response as Res;
  }

  /** Safe to call twice. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#handle.close();
    this.#core.forget(this);
  }
}
