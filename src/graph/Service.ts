/**
 * Serves one service. Create with `node.createService`. A request that fails
 * validation, or a handler that throws, fails that call (the client's promise rejects
 * with the reason) and is reported on the node; the service keeps serving.
 */
import type { RequestId, ServiceHandle } from '../transports/Transport.ts';
import type { NodeCore } from './Node.ts';

/**
 * Answers one request. `replied` settles once the reply has been written (or given up on): work
 * that must follow the answer goes there (see the transport's ServiceHandler).
 */
export type ServiceHandler<Req, Res> = (
  request: Req,
  requestId: RequestId,
  replied: Promise<void>,
) => Res | Promise<Res>;

export class Service<Req = unknown, Res = unknown> {
  /** Fully qualified service name. */
  readonly name: string;
  readonly type: string;
  readonly #core: NodeCore;
  readonly #handle: ServiceHandle;
  #destroyed = false;

  /** @internal */
  constructor(core: NodeCore, type: string, name: string, handler: ServiceHandler<Req, Res>) {
    this.#core = core;
    this.type = type;
    this.name = name;
    const atReceive = core.transport.validation === 'at-receive';
    const cdr = core.transport.kind === 'cdr';
    const requestType = `${type}_Request`;
    const responseType = `${type}_Response`;
    const source = `${name} (service of ${core.fullyQualifiedName})`;
    this.#handle = core.transport.advertiseService(
      { service: name, node: core.fullyQualifiedName, type },
      async (raw, requestId, replied) => {
        try {
          let request = cdr ? core.codec().decode(requestType, raw as Uint8Array) : raw;
          if (atReceive) request = core.validator.validate(requestType, request, `${name} request`);
          const response = await handler(request as Req, requestId, replied);
          // The response leaves this node here: check it once, whichever side validates.
          if (!atReceive) core.validator.validate(responseType, response, `${source} response`);
          return cdr ? core.codec().encode(responseType, response) : response;
        } catch (error) {
          const err = error instanceof Error ? error : new Error(String(error));
          core.reportError({ kind: 'service', topic: name, error: err });
          throw err;
        }
      },
    );
  }

  /** Safe to call twice. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#handle.close();
    this.#core.forget(this);
  }
}
