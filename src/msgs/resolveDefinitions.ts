import type { MessageDefinitionField } from '@foxglove/message-definition';
import { parse } from '@foxglove/rosmsg';
import { UserError } from '../errors.ts';

/** One ROS 2 interface file: `<pkg>/msg/<Type>.msg`, `<pkg>/srv/<Type>.srv` or `<pkg>/action/<Type>.action`. */
export interface InterfaceFile {
  /** Path relative to the definitions root, with `/` separators, e.g. `sensor_msgs/msg/JointState.msg`. */
  path: string;
  text: string;
}

/** A message type with every type reference spelled in full (`pkg/msg/Type`). */
export interface ResolvedMessageDefinition {
  /** Full ROS 2 name, e.g. `sensor_msgs/msg/JointState`, `std_srvs/srv/SetBool_Request`. */
  name: string;
  /**
   * Fields and constants as @foxglove/rosmsg parses them in ROS 2 mode: complex types are full
   * names, and `builtin_interfaces/msg/Time` / `Duration` fields become the primitives `time` /
   * `duration` (the same bytes on the wire: int32 sec, uint32 nanosec).
   */
  fields: MessageDefinitionField[];
  /** This type's own definition text (comments kept), with type references rewritten to full names. */
  text: string;
  /** Every message type this one uses, transitively, in first-use order. */
  dependencies: string[];
}

export interface ResolvedDefinitions {
  messages: Record<string, ResolvedMessageDefinition>;
  /** Service names (`pkg/srv/Name`); each has `<name>_Request` and `<name>_Response` messages. */
  services: string[];
  /**
   * Action names (`pkg/action/Name`); each has `_Goal`, `_Result`, `_Feedback` messages and the wire
   * types `_SendGoal_Request`, `_SendGoal_Response`, `_GetResult_Request`, `_GetResult_Response`,
   * `_FeedbackMessage`, as rosidl generates them.
   */
  actions: string[];
}

/** Suffixes of the message types generated for an action `pkg/action/Name`. */
export const ACTION_MESSAGE_SUFFIXES = [
  'Goal',
  'Result',
  'Feedback',
  'SendGoal_Request',
  'SendGoal_Response',
  'GetResult_Request',
  'GetResult_Response',
  'FeedbackMessage',
] as const;

/** Suffixes of the message types generated for a service `pkg/srv/Name`. */
export const SERVICE_MESSAGE_SUFFIXES = ['Request', 'Response'] as const;

const PRIMITIVES = new Set([
  'bool',
  'byte',
  'char',
  'int8',
  'uint8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'uint64',
  'float32',
  'float64',
  'string',
  'wstring',
  'time',
  'duration',
]);

/** The separator rosbag2 writes between a type's definition and each dependency (ros2msg schema encoding). */
export const SCHEMA_SEPARATOR = '='.repeat(80);

interface Section {
  name: string;
  pkg: string;
  text: string;
  source: string;
}

/**
 * Expands .msg/.srv/.action files into message types the way rosidl does, rewrites every type
 * reference to its full name, and parses each type with @foxglove/rosmsg (ROS 2 mode).
 * Pure: the caller reads the files.
 */
export function resolveDefinitions(files: readonly InterfaceFile[]): ResolvedDefinitions {
  const sections: Section[] = [];
  const services: string[] = [];
  const actions: string[] = [];
  for (const file of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    const m = /^([a-z][a-z0-9_]*)\/(msg|srv|action)\/([A-Z][A-Za-z0-9]*)\.(msg|srv|action)$/.exec(file.path);
    if (!m || m[2] !== m[4]) {
      throw new UserError(
        `expected <pkg>/msg/<Type>.msg, <pkg>/srv/<Type>.srv or <pkg>/action/<Type>.action, got "${file.path}"`,
        { source: file.path },
      );
    }
    const pkg = m[1]!;
    const kind = m[2]!;
    const base = `${pkg}/${kind}/${m[3]!}`;
    const parts = splitOnDashes(file.text);
    const add = (name: string, text: string) => sections.push({ name, pkg, text, source: file.path });
    if (kind === 'msg') {
      if (parts.length !== 1)
        throw new UserError('a .msg file must not contain "---"', { source: file.path });
      add(base, parts[0]!);
    } else if (kind === 'srv') {
      if (parts.length !== 2) {
        throw new UserError(`a .srv file needs exactly one "---" line, found ${parts.length - 1}`, {
          source: file.path,
        });
      }
      services.push(base);
      add(`${base}_Request`, parts[0]!);
      add(`${base}_Response`, parts[1]!);
    } else {
      if (parts.length !== 3) {
        throw new UserError(`a .action file needs exactly two "---" lines, found ${parts.length - 1}`, {
          source: file.path,
        });
      }
      actions.push(base);
      add(`${base}_Goal`, parts[0]!);
      add(`${base}_Result`, parts[1]!);
      add(`${base}_Feedback`, parts[2]!);
      add(`${base}_SendGoal_Request`, `unique_identifier_msgs/msg/UUID goal_id\n${base}_Goal goal\n`);
      add(`${base}_SendGoal_Response`, 'bool accepted\nbuiltin_interfaces/msg/Time stamp\n');
      add(`${base}_GetResult_Request`, 'unique_identifier_msgs/msg/UUID goal_id\n');
      add(`${base}_GetResult_Response`, `int8 status\n${base}_Result result\n`);
      add(`${base}_FeedbackMessage`, `unique_identifier_msgs/msg/UUID goal_id\n${base}_Feedback feedback\n`);
    }
  }

  const rewritten = new Map<string, { text: string; deps: string[]; source: string }>();
  for (const s of sections) {
    if (rewritten.has(s.name)) throw new UserError(`duplicate message type ${s.name}`, { source: s.source });
    rewritten.set(s.name, { ...rewriteTypeReferences(s.text, s.pkg, s.source), source: s.source });
  }

  const messages: Record<string, ResolvedMessageDefinition> = {};
  for (const [name, own] of rewritten) {
    const dependencies = transitiveDependencies(name, rewritten);
    const full = [
      own.text,
      ...dependencies.map((d) => `${SCHEMA_SEPARATOR}\nMSG: ${d}\n${rewritten.get(d)!.text}`),
    ]
      .join('\n')
      .trimEnd();
    let parsed: ReturnType<typeof parse>;
    try {
      parsed = parse(full, { ros2: true });
    } catch (err) {
      throw new UserError(`cannot parse ${name}: ${(err as Error).message}`, {
        source: own.source,
        cause: err,
      });
    }
    messages[name] = { name, fields: parsed[0]!.definitions, text: own.text, dependencies };
  }
  return { messages, services, actions };
}

/** Splits an interface file on lines that are exactly `---`. */
function splitOnDashes(text: string): string[] {
  const parts: string[][] = [[]];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '---') parts.push([]);
    else parts[parts.length - 1]!.push(line);
  }
  return parts.map((lines) => `${lines.join('\n').trim()}\n`.replace(/^\n$/, ''));
}

/** `Type` → `pkg/msg/Type`; `other_pkg/Type` → `other_pkg/msg/Type`; full names stay. */
function fullTypeName(ref: string, pkg: string): string {
  const parts = ref.split('/');
  if (parts.length === 1) return `${pkg}/msg/${ref}`;
  if (parts.length === 2) return `${parts[0]}/msg/${parts[1]}`;
  return ref;
}

function rewriteTypeReferences(text: string, pkg: string, source: string): { text: string; deps: string[] } {
  const deps: string[] = [];
  const lines = text.split('\n').map((line) => {
    const m = /^(\s*)([A-Za-z][A-Za-z0-9_/]*)(.*)$/.exec(line);
    if (!m || line.trimStart().startsWith('#')) return line;
    const [, indent, type, rest] = m as unknown as [string, string, string, string];
    if (PRIMITIVES.has(type)) return line;
    if (!/^[[<\s]/.test(rest)) {
      throw new UserError(`cannot read the field line "${line.trim()}"`, { source });
    }
    const full = fullTypeName(type, pkg);
    if (!deps.includes(full)) deps.push(full);
    return `${indent}${full}${rest}`;
  });
  return { text: lines.join('\n'), deps };
}

function transitiveDependencies(
  name: string,
  all: ReadonlyMap<string, { deps: string[]; source: string }>,
): string[] {
  const out: string[] = [];
  const visit = (type: string, from: string) => {
    const entry = all.get(type);
    if (!entry) {
      throw new UserError(`${from} uses ${type}, which has no definition file`, {
        source: all.get(from)?.source ?? from,
      });
    }
    for (const dep of entry.deps) {
      if (dep === name) throw new UserError(`${name} contains itself (through ${type})`);
      if (!out.includes(dep)) {
        out.push(dep);
        visit(dep, type);
      }
    }
  };
  visit(name, name);
  return out;
}
