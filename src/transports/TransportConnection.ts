/**
 * Link state for transports that reach a remote peer over a connection that can drop
 * (rosbridge over WebSocket). In-process and connectionless transports do not have one.
 *
 * The policy node reads it to hold the arm: while a transport is disconnected it runs no
 * control cycles, and after a reconnect it waits for fresh observations before it commands
 * again. Publishers on a disconnected transport drop (and count) what they are given.
 */
import type { Transport } from './Transport.ts';

export interface TransportConnection {
  /** True while the link to the remote peer is up and every endpoint is declared on it. */
  readonly connected: boolean;
  /** Calls `listener` on every change of `connected`; returns a function that removes it. */
  onConnectionChange(listener: (connected: boolean) => void): () => void;
}

/** The transport's connection, if it has one (`transport.connection`). */
export function transportConnection(transport: Transport): TransportConnection | undefined {
  const connection = (transport as Transport & { connection?: TransportConnection }).connection;
  return connection && typeof connection.onConnectionChange === 'function' ? connection : undefined;
}
