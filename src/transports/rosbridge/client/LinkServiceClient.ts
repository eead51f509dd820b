import type { RequestId, ServiceClientHandle } from '../../Transport.ts';

/**
 * A graph service client whose calls go over the rosbridge link (plain services and an action's
 * services alike). It counts as available while the link is up: rosbridge cannot tell whether a
 * server exists without rosapi, so a call to a missing one fails with the server's answer.
 */
export class LinkServiceClient implements ServiceClientHandle {
  readonly #service: string;
  readonly #connected: () => boolean;
  readonly #send: (request: unknown) => Promise<unknown>;
  #closed = false;

  constructor(service: string, connected: () => boolean, send: (request: unknown) => Promise<unknown>) {
    this.#service = service;
    this.#connected = connected;
    this.#send = send;
  }

  isServiceAvailable(): boolean {
    return !this.#closed && this.#connected();
  }

  call(request: unknown, _requestId: RequestId): Promise<unknown> {
    if (this.#closed) return Promise.reject(new Error(`client of ${this.#service} was closed`));
    return this.#send(request);
  }

  close(): void {
    this.#closed = true;
  }
}
