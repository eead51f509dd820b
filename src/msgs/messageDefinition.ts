import type { MessageDefinition } from '@foxglove/message-definition';
import { UserError } from '../errors.ts';
import { ACTION_TYPES, MESSAGE_DEFINITIONS, SERVICE_TYPES } from './generated/definitions.ts';
import type { MessageTypeName } from './generated/types.ts';
import { type ResolvedMessageDefinition, SCHEMA_SEPARATOR } from './resolveDefinitions.ts';

const sortedTypes = Object.keys(MESSAGE_DEFINITIONS).sort() as MessageTypeName[];

/** True if `type` (full ROS 2 name, e.g. `sensor_msgs/msg/JointState`) is a known message type. */
export function hasMessageType(type: string): type is MessageTypeName {
  return Object.hasOwn(MESSAGE_DEFINITIONS, type);
}

/** Every known message type, sorted, including the `_Request`/`_Response` and action message types. */
export function listMessageTypes(): readonly MessageTypeName[] {
  return sortedTypes;
}

/** Known services (`pkg/srv/Name`), sorted. */
export function listServiceTypes(): readonly string[] {
  return SERVICE_TYPES;
}

/** Known actions (`pkg/action/Name`), sorted. */
export function listActionTypes(): readonly string[] {
  return ACTION_TYPES;
}

/**
 * The resolved definition of a message type.
 * @throws UserError naming the type, with the closest known names, if it is unknown.
 */
export function messageDefinition(type: string, source?: string): ResolvedMessageDefinition {
  const def = MESSAGE_DEFINITIONS[type];
  if (def && Object.hasOwn(MESSAGE_DEFINITIONS, type)) return def;
  throw unknownTypeError(type, source);
}

/**
 * The type and its dependencies as @foxglove/rosmsg2-serialization wants them: the root first
 * (unnamed fields list), then each dependency by full name.
 */
export function messageDefinitions(type: string): MessageDefinition[] {
  const def = messageDefinition(type);
  return [
    { name: def.name, definitions: def.fields },
    ...def.dependencies.map((d) => ({ name: d, definitions: messageDefinition(d).fields })),
  ];
}

/**
 * The `ros2msg` schema text of a type: its definition, then each dependency after a line of `=`
 * and `MSG: <full name>`, as rosbag2 writes MCAP schemas. Type references are spelled in full
 * (`std_msgs/msg/Header`), which Foxglove and `ros2 bag` both read.
 */
export function messageDefinitionText(type: string): string {
  const def = messageDefinition(type);
  return [
    def.text,
    ...def.dependencies.map((d) => `${SCHEMA_SEPARATOR}\nMSG: ${d}\n${messageDefinition(d).text}`),
  ]
    .join('\n')
    .trimEnd();
}

function unknownTypeError(type: string, source: string | undefined): UserError {
  const hint =
    /^[^/]+\/[^/]+$/.test(type) && hasMessageType(type.replace('/', '/msg/'))
      ? [type.replace('/', '/msg/')]
      : closest(type, sortedTypes, 3);
  const suggestion = hint.length ? `; did you mean ${hint.map((h) => `"${h}"`).join(', ')}?` : '';
  return new UserError(`unknown message type "${type}"${suggestion}`, { source });
}

function closest(needle: string, haystack: readonly string[], n: number): string[] {
  const lower = needle.toLowerCase();
  const shortNeedle = lower.slice(lower.lastIndexOf('/') + 1);
  return haystack
    .map((h) => {
      const hl = h.toLowerCase();
      const d = Math.min(
        levenshtein(lower, hl),
        levenshtein(shortNeedle, hl.slice(hl.lastIndexOf('/') + 1)) + 1,
      );
      return { h, d };
    })
    .filter(({ d }) => d <= Math.max(3, Math.floor(shortNeedle.length / 3)))
    .sort((a, b) => a.d - b.d || (a.h < b.h ? -1 : 1))
    .slice(0, n)
    .map(({ h }) => h);
}

function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
