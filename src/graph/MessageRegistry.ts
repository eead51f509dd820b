/**
 * What the graph needs from the message layer, injected into `createContext`: a
 * validator (and, for transports that carry bytes, a CDR codec). The graph never
 * imports src/msgs itself, so it runs and tests without generated code.
 */
import { UserError } from '../errors.ts';

export interface MessageValidator {
  /**
   * Checks `value` against message type `type`; returns the message (possibly with
   * defaults filled in) or throws a UserError naming the field path, the value and
   * `source` (the topic or service it came from).
   */
  validate(type: string, value: unknown, source: string): unknown;
  /** Whether `type` (`sensor_msgs/msg/JointState`) is known. */
  has(type: string): boolean;
  /**
   * A message of `type` with every field at its ROS default. The graph sends it where ROS 2
   * sends a default-initialized message: the result of an aborted or unknown goal. Without it
   * the graph sends `{}`, which only a permissive validator accepts.
   */
  defaultMessage?(type: string): unknown;
}

/** Encodes and decodes ROS 2 CDR, for transports with `kind: 'cdr'`. */
export interface MessageCodec {
  encode(type: string, msg: unknown): Uint8Array;
  decode(type: string, bytes: Uint8Array): unknown;
}

/**
 * A stand-in that knows every type and accepts any object, for tests of the graph
 * itself and for code that validates elsewhere. Never use it with a transport that
 * carries outside input: nothing would be checked at the boundary.
 */
export const permissiveValidator: MessageValidator = Object.freeze({
  validate(type: string, value: unknown, source: string): unknown {
    if (typeof value !== 'object' || value === null) {
      throw new UserError(`${type} must be an object (got ${value === null ? 'null' : typeof value})`, {
        source,
      });
    }
    return value;
  },
  has(): boolean {
    return true;
  },
});

interface MsgsModule {
  validateMessage(type: string, value: unknown, source: string): unknown;
  hasMessageType(type: string): boolean;
  defaultMessage?(type: string): unknown;
  encodeCdr?(type: string, msg: unknown): Uint8Array;
  decodeCdr?(type: string, bytes: Uint8Array): unknown;
}

// A variable specifier keeps the type checker from resolving it, so the graph compiles
// whether or not the message layer is present.
const MSGS_MODULE = '../msgs/index.ts';

/**
 * The real validator and codec, from src/msgs (zod schemas generated from the .msg
 * definitions). Rejects when src/msgs is missing or does not export what the graph needs.
 */
export async function msgsValidator(): Promise<MessageValidator & MessageCodec> {
  let mod: Partial<MsgsModule>;
  try {
    mod = (await import(MSGS_MODULE)) as Partial<MsgsModule>;
  } catch (cause) {
    throw new Error(`msgsValidator: cannot load the message layer (src/msgs/index.ts)`, { cause });
  }
  const { validateMessage, hasMessageType, defaultMessage, encodeCdr, decodeCdr } = mod;
  if (typeof validateMessage !== 'function' || typeof hasMessageType !== 'function') {
    throw new Error('msgsValidator: src/msgs/index.ts does not export validateMessage and hasMessageType');
  }
  return {
    validate: validateMessage,
    has: hasMessageType,
    ...(defaultMessage ? { defaultMessage } : {}),
    encode(type, msg) {
      if (!encodeCdr) throw new Error('msgsValidator: src/msgs/index.ts does not export encodeCdr');
      return encodeCdr(type, msg);
    },
    decode(type, bytes) {
      if (!decodeCdr) throw new Error('msgsValidator: src/msgs/index.ts does not export decodeCdr');
      return decodeCdr(type, bytes);
    },
  };
}
