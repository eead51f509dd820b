/**
 * Failures of graph operations that are not bad input: a missing service, a timeout,
 * a handler that threw, use after destroy(). Bad input (names, messages, parameters)
 * throws UserError instead.
 */
export type GraphErrorCode = 'NO_SERVICE' | 'TIMEOUT' | 'SERVICE_FAILED' | 'GOAL_REJECTED' | 'DESTROYED';

export class GraphError extends Error {
  override name = 'GraphError';
  readonly code: GraphErrorCode;
  constructor(code: GraphErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
