/**
 * The rosbridge v2 protocol as rosbridge_suite's ROSBRIDGE_PROTOCOL.md defines it for ROS 2:
 * one zod schema per `op`, the TS type of each, and one parse function that checks a frame at
 * the boundary. Shared by the server (src/transports/rosbridge/server) and the client transport.
 *
 * - Every message is an object with a string `op`; `id` (string or integer) names an interaction.
 * - Schemas check the fields rosbridge reads and keep the rest (clients send extras such as
 *   roslib's `latch` and `queue_size`); they never cast.
 * - Type names come in ROS 1 style (`sensor_msgs/JointState`) or ROS 2 style
 *   (`sensor_msgs/msg/JointState`); {@link normalizeInterfaceType} gives the ROS 2 name.
 * - Binary frames carry the same messages encoded as CBOR (`compression: 'cbor' | 'cbor-raw'`).
 */
import { z } from 'zod';

/** Default rosbridge_server port. */
export const ROSBRIDGE_DEFAULT_PORT = 9090;

/** An interaction id: rosbridge allows a string or an integer. */
export const IdSchema = z.union([z.string(), z.number().int()]);
export type RosbridgeId = z.infer<typeof IdSchema>;

/** Encodings a subscriber may ask for. `png` is part of the spec; this project answers it as `none`. */
export const CompressionSchema = z.enum(['none', 'png', 'cbor', 'cbor-raw']);
export type Compression = z.infer<typeof CompressionSchema>;

/** Status levels, most verbose first. A client sees statuses at or above its `set_level` (default `error`). */
export const STATUS_LEVELS = ['info', 'warning', 'error', 'none'] as const;
export const StatusLevelSchema = z.enum(STATUS_LEVELS);
export type StatusLevel = z.infer<typeof StatusLevelSchema>;

const name = z.string().min(1);
const nonNegativeInt = z.number().int().min(0);
/** A message body: a JSON object (rosbridge JSON conventions, see src/msgs/rosbridgeJson.ts). */
const messageBody = z.record(z.string(), z.unknown());
/** Service and goal arguments: an object, or a list (ROS 1 style positional args; empty = none). */
const args = z.union([messageBody, z.array(z.unknown())]);

const base = { id: IdSchema.optional() };

// ---- authentication (rosauth-style, plus a plain token) ------------------------------------

export const AuthSchema = z.looseObject({
  op: z.literal('auth'),
  ...base,
  /** The access token (this project's form). */
  token: z.string().optional(),
  /** rosauth's MAC field; accepted as the token when `token` is absent. */
  mac: z.string().optional(),
});

// ---- topics ------------------------------------------------------------------------------

export const AdvertiseSchema = z.looseObject({
  op: z.literal('advertise'),
  ...base,
  topic: name,
  type: name,
  /** Keep the last message for late subscribers (transient local). */
  latch: z.boolean().optional(),
  queue_size: nonNegativeInt.optional(),
});

export const UnadvertiseSchema = z.looseObject({ op: z.literal('unadvertise'), ...base, topic: name });

export const PublishSchema = z.looseObject({
  op: z.literal('publish'),
  ...base,
  topic: name,
  msg: messageBody,
});

export const SubscribeSchema = z.looseObject({
  op: z.literal('subscribe'),
  ...base,
  topic: name,
  /** Expected type; looked up from the graph when absent. */
  type: name.optional(),
  /** Minimum time between messages sent to this client, ms. @default 0 */
  throttle_rate: nonNegativeInt.optional(),
  /** Messages kept while throttled (newest win). @default 0 */
  queue_length: nonNegativeInt.optional(),
  /** Largest frame, in characters, before the message is split into `fragment` ops. */
  fragment_size: z.number().int().min(1).optional(),
  compression: CompressionSchema.optional(),
});

export const UnsubscribeSchema = z.looseObject({ op: z.literal('unsubscribe'), ...base, topic: name });

// ---- services ----------------------------------------------------------------------------

export const AdvertiseServiceSchema = z.looseObject({
  op: z.literal('advertise_service'),
  ...base,
  service: name,
  type: name,
});

export const UnadvertiseServiceSchema = z.looseObject({
  op: z.literal('unadvertise_service'),
  ...base,
  service: name,
});

export const CallServiceSchema = z.looseObject({
  op: z.literal('call_service'),
  ...base,
  service: name,
  /** Service type; rosbridge looks it up when absent, and so does this server. */
  type: name.optional(),
  args: args.optional(),
  fragment_size: z.number().int().min(1).optional(),
  compression: CompressionSchema.optional(),
  /** Seconds to wait for the response. */
  timeout: z.number().positive().optional(),
});

export const ServiceResponseSchema = z.looseObject({
  op: z.literal('service_response'),
  ...base,
  service: name,
  /** The response message; on failure (`result: false`) usually an error string. */
  values: z.unknown().optional(),
  result: z.boolean(),
});

// ---- actions (rosbridge_suite ROS 2) -------------------------------------------------------

export const AdvertiseActionSchema = z.looseObject({
  op: z.literal('advertise_action'),
  ...base,
  action: name,
  type: name,
});

export const UnadvertiseActionSchema = z.looseObject({
  op: z.literal('unadvertise_action'),
  ...base,
  action: name,
});

export const SendActionGoalSchema = z.looseObject({
  op: z.literal('send_action_goal'),
  ...base,
  action: name,
  action_type: name,
  args: args.optional(),
  /** Send `action_feedback` messages. @default false */
  feedback: z.boolean().optional(),
  fragment_size: z.number().int().min(1).optional(),
  compression: CompressionSchema.optional(),
});

export const CancelActionGoalSchema = z.looseObject({
  op: z.literal('cancel_action_goal'),
  id: IdSchema,
  action: name,
});

export const ActionFeedbackSchema = z.looseObject({
  op: z.literal('action_feedback'),
  id: IdSchema,
  action: name,
  values: z.unknown(),
});

export const ActionResultSchema = z.looseObject({
  op: z.literal('action_result'),
  id: IdSchema,
  action: name,
  values: z.unknown().optional(),
  /** action_msgs/msg/GoalStatus code (4 succeeded, 5 canceled, 6 aborted, 0 unknown). */
  status: z.number().int().min(0).max(6),
  result: z.boolean(),
});

// ---- encoding, logging ---------------------------------------------------------------------

export const FragmentSchema = z.looseObject({
  op: z.literal('fragment'),
  id: IdSchema,
  /** A slice of the original message's JSON text. */
  data: z.string(),
  /** Index of this fragment, from 0. */
  num: nonNegativeInt,
  total: z.number().int().min(1),
});

export const SetLevelSchema = z.looseObject({
  op: z.literal('set_level'),
  ...base,
  level: StatusLevelSchema,
});

export const StatusSchema = z.looseObject({
  op: z.literal('status'),
  ...base,
  level: StatusLevelSchema,
  msg: z.string(),
});

/** Every op this project speaks, by name. */
export const OP_SCHEMAS = {
  auth: AuthSchema,
  advertise: AdvertiseSchema,
  unadvertise: UnadvertiseSchema,
  publish: PublishSchema,
  subscribe: SubscribeSchema,
  unsubscribe: UnsubscribeSchema,
  advertise_service: AdvertiseServiceSchema,
  unadvertise_service: UnadvertiseServiceSchema,
  call_service: CallServiceSchema,
  service_response: ServiceResponseSchema,
  advertise_action: AdvertiseActionSchema,
  unadvertise_action: UnadvertiseActionSchema,
  send_action_goal: SendActionGoalSchema,
  cancel_action_goal: CancelActionGoalSchema,
  action_feedback: ActionFeedbackSchema,
  action_result: ActionResultSchema,
  fragment: FragmentSchema,
  set_level: SetLevelSchema,
  status: StatusSchema,
} as const;

export type RosbridgeOp = keyof typeof OP_SCHEMAS;

export type AuthMessage = z.infer<typeof AuthSchema>;
export type AdvertiseMessage = z.infer<typeof AdvertiseSchema>;
export type UnadvertiseMessage = z.infer<typeof UnadvertiseSchema>;
export type PublishMessage = z.infer<typeof PublishSchema>;
export type SubscribeMessage = z.infer<typeof SubscribeSchema>;
export type UnsubscribeMessage = z.infer<typeof UnsubscribeSchema>;
export type AdvertiseServiceMessage = z.infer<typeof AdvertiseServiceSchema>;
export type UnadvertiseServiceMessage = z.infer<typeof UnadvertiseServiceSchema>;
export type CallServiceMessage = z.infer<typeof CallServiceSchema>;
export type ServiceResponseMessage = z.infer<typeof ServiceResponseSchema>;
export type AdvertiseActionMessage = z.infer<typeof AdvertiseActionSchema>;
export type UnadvertiseActionMessage = z.infer<typeof UnadvertiseActionSchema>;
export type SendActionGoalMessage = z.infer<typeof SendActionGoalSchema>;
export type CancelActionGoalMessage = z.infer<typeof CancelActionGoalSchema>;
export type ActionFeedbackMessage = z.infer<typeof ActionFeedbackSchema>;
export type ActionResultMessage = z.infer<typeof ActionResultSchema>;
export type FragmentMessage = z.infer<typeof FragmentSchema>;
export type SetLevelMessage = z.infer<typeof SetLevelSchema>;
export type StatusMessage = z.infer<typeof StatusSchema>;

/** Any rosbridge message, discriminated on `op`. */
export type RosbridgeMessage = { [K in RosbridgeOp]: z.infer<(typeof OP_SCHEMAS)[K]> }[RosbridgeOp];
/** The message of one op. */
export type MessageOfOp<K extends RosbridgeOp> = z.infer<(typeof OP_SCHEMAS)[K]>;

/** Ops a client sends to a server. */
export const CLIENT_OPS = [
  'auth',
  'advertise',
  'unadvertise',
  'publish',
  'subscribe',
  'unsubscribe',
  'advertise_service',
  'unadvertise_service',
  'call_service',
  'service_response',
  'advertise_action',
  'unadvertise_action',
  'send_action_goal',
  'cancel_action_goal',
  'action_feedback',
  'action_result',
  'fragment',
  'set_level',
] as const satisfies readonly RosbridgeOp[];

/** Ops a server sends to a client. */
export const SERVER_OPS = [
  'publish',
  'call_service',
  'service_response',
  'send_action_goal',
  'cancel_action_goal',
  'action_feedback',
  'action_result',
  'fragment',
  'status',
] as const satisfies readonly RosbridgeOp[];

/** What was wrong with a frame, for a `status` reply: the op and id when known, field and value. */
export interface ProtocolIssue {
  /** The op, when the frame had a string one. */
  op: string | undefined;
  id: RosbridgeId | undefined;
  /** Dotted path of the bad field (`throttle_rate`, `msg.position.2`); `(frame)` for the whole frame. */
  field: string;
  /** The bad value, shortened for logs. */
  value: string;
  /** One line naming all of the above. */
  message: string;
}

export type ParseResult = { ok: true; message: RosbridgeMessage } | { ok: false; issue: ProtocolIssue };

/**
 * Checks one decoded frame (the result of JSON.parse or a CBOR decode). Unknown ops, missing
 * and mistyped fields come back as an issue naming the op, id, field and value.
 *
 * @param allowed the ops this side accepts; others are reported as unknown. @default every op
 */
export function parseRosbridgeMessage(
  value: unknown,
  allowed: readonly RosbridgeOp[] = Object.keys(OP_SCHEMAS) as RosbridgeOp[],
): ParseResult {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return fail(undefined, undefined, '(frame)', value, 'a rosbridge message must be a JSON object');
  }
  const obj = value as Record<string, unknown>;
  const rawId = obj.id;
  const id =
    typeof rawId === 'string' || (typeof rawId === 'number' && Number.isInteger(rawId)) ? rawId : undefined;
  if (typeof obj.op !== 'string') return fail(undefined, id, 'op', obj.op, 'op must be a string');
  const op = obj.op;
  if (!Object.hasOwn(OP_SCHEMAS, op) || !allowed.includes(op as RosbridgeOp)) {
    return fail(op, id, 'op', op, `unknown op "${shorten(op)}"`);
  }
  const result = OP_SCHEMAS[op as RosbridgeOp].safeParse(value);
  if (result.success) return { ok: true, message: result.data as RosbridgeMessage };
  const issue = result.error.issues[0]!;
  const field = issue.path.length ? issue.path.map(String).join('.') : '(frame)';
  const got = issue.path.reduce<unknown>(
    (v, k) => (v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined),
    value,
  );
  const what = got === undefined ? 'missing' : issue.message;
  return fail(op, id, field, got, `${op}: field ${field}: ${what}`);
}

/** Decodes a text frame and checks it; a frame that is not JSON is an issue too. */
export function parseRosbridgeText(text: string, allowed?: readonly RosbridgeOp[]): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return fail(undefined, undefined, '(frame)', text, `malformed JSON: ${reason}`);
  }
  return parseRosbridgeMessage(value, allowed);
}

function fail(
  op: string | undefined,
  id: RosbridgeId | undefined,
  field: string,
  value: unknown,
  what: string,
): { ok: false; issue: ProtocolIssue } {
  const shown = describeValue(value);
  const idPart = id === undefined ? '' : ` (id ${JSON.stringify(id)})`;
  return {
    ok: false,
    issue: { op, id, field, value: shown, message: `${what}${idPart}; got ${shown}` },
  };
}

/** A short, printable rendering of any value, for status messages and logs. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(shorten(value));
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (typeof value === 'bigint') return `${value}n`;
  try {
    const s = JSON.stringify(value);
    return s === undefined ? String(value) : shorten(s);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function shorten(s: string, max = 80): string {
  return s.length > max ? `${s.slice(0, max - 3)}...` : s;
}

/**
 * The ROS 2 name of an interface type: `sensor_msgs/JointState` and `sensor_msgs/msg/JointState`
 * both give `sensor_msgs/msg/JointState` (kind `msg`); `std_srvs/Trigger` gives
 * `std_srvs/srv/Trigger`. Returns undefined for a name that is neither form.
 */
export function normalizeInterfaceType(type: string, kind: 'msg' | 'srv' | 'action'): string | undefined {
  const parts = type.split('/');
  const ok = (s: string | undefined) => s !== undefined && /^[A-Za-z][A-Za-z0-9_]*$/.test(s);
  if (parts.length === 2 && ok(parts[0]) && ok(parts[1])) return `${parts[0]}/${kind}/${parts[1]}`;
  if (parts.length === 3 && ok(parts[0]) && parts[1] === kind && ok(parts[2])) return type;
  return undefined;
}

/**
 * The message rosbridge sends in a `cbor-raw` subscription: the CDR bytes of the message, and the
 * receive time (ROS time) in `secs`/`nsecs`.
 */
export interface CborRawBody {
  bytes: Uint8Array;
  secs: number;
  nsecs: number;
}
