import {
  type ContextOptions,
  createContext,
  type Logger,
  type MessageValidator,
} from '../../src/graph/index.ts';
import { defaultMessage, hasMessageType, validateMessage } from '../../src/msgs/index.ts';
import { LocalTransport, type LocalTransportOptions } from '../../src/transports/local/LocalTransport.ts';

/** Collects log lines instead of printing them. */
export function captureLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const push = (level: string) => (m: string) => {
    lines.push(`${level} ${m}`);
  };
  return { lines, debug: push('DEBUG'), info: push('INFO'), warn: push('WARN'), error: push('ERROR') };
}

/**
 * The real message layer (src/msgs), as msgsValidator() wires it but synchronously: every
 * message the tests publish is a real, complete ROS 2 message and is checked as in production.
 * Tests that need a validator accepting anything pass `permissiveValidator` explicitly.
 */
export const realValidator: MessageValidator = Object.freeze({
  validate: validateMessage,
  has: hasMessageType,
  defaultMessage,
});

export function makeGraph(
  options: Partial<ContextOptions> & {
    local?: LocalTransportOptions;
    validation?: 'at-publish' | 'at-receive';
  } = {},
) {
  const transport = new LocalTransport({
    ...options.local,
    ...(options.validation ? { validation: options.validation } : {}),
  });
  const logger = captureLogger();
  const context = createContext({
    transport,
    validator: options.validator ?? realValidator,
    logger,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  return { transport, context, logger };
}

/** `promise`, or a rejection naming `what` if it has not settled within `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
    }),
  ]);
}
