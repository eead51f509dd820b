/**
 * ROS 2 name rules, as rcl and rmw check them (design.ros2.org "Topic and Service
 * names"): `rcl_validate_topic_name` for names as the user writes them (relative, `~`,
 * `{sub}`), `rmw_validate_full_topic_name` after expansion, `rmw_validate_node_name` and
 * `rmw_validate_namespace`. Each check returns the rule that failed and the index of the
 * offending character, as rcl does; the `assert*` forms throw a UserError naming both.
 */
import { UserError } from '../errors.ts';

/** rmw's RMW_TOPIC_MAX_NAME_LENGTH: 255 less 8 reserved for DDS prefixes such as `rt`. */
export const TOPIC_MAX_NAME_LENGTH = 255 - 8;
/** RMW_NAMESPACE_MAX_LENGTH: room left for the shortest topic, `/X`. */
export const NAMESPACE_MAX_LENGTH = TOPIC_MAX_NAME_LENGTH - 2;
/** RMW_NODE_NAME_MAX_NAME_LENGTH. */
export const NODE_NAME_MAX_LENGTH = 255;

/** The failed rule, named as rcl/rmw name it without their prefix (`RCL_TOPIC_NAME_INVALID_`). */
export type NameRule =
  | 'IS_EMPTY_STRING'
  | 'NOT_ABSOLUTE'
  | 'ENDS_WITH_FORWARD_SLASH'
  | 'CONTAINS_UNALLOWED_CHARACTERS'
  | 'CONTAINS_REPEATED_FORWARD_SLASH'
  | 'NAME_TOKEN_STARTS_WITH_NUMBER'
  | 'STARTS_WITH_NUMBER'
  | 'UNMATCHED_CURLY_BRACE'
  | 'MISPLACED_TILDE'
  | 'TILDE_NOT_FOLLOWED_BY_FORWARD_SLASH'
  | 'SUBSTITUTION_CONTAINS_UNALLOWED_CHARACTERS'
  | 'SUBSTITUTION_STARTS_WITH_NUMBER'
  | 'TOO_LONG';

export interface NameViolation {
  rule: NameRule;
  /** Index of the offending character. */
  index: number;
}

const RULE_TEXT: Record<NameRule, string> = {
  IS_EMPTY_STRING: 'must not be empty',
  NOT_ABSOLUTE: "must be absolute (start with '/')",
  ENDS_WITH_FORWARD_SLASH: "must not end with '/'",
  CONTAINS_UNALLOWED_CHARACTERS: 'contains a character other than letters, digits and _',
  CONTAINS_REPEATED_FORWARD_SLASH: "must not contain '//'",
  NAME_TOKEN_STARTS_WITH_NUMBER: 'has a name token that starts with a digit',
  STARTS_WITH_NUMBER: 'must not start with a digit',
  UNMATCHED_CURLY_BRACE: 'has an unmatched curly brace',
  MISPLACED_TILDE: "has '~' somewhere other than the start",
  TILDE_NOT_FOLLOWED_BY_FORWARD_SLASH: "has '~' not followed by '/'",
  SUBSTITUTION_CONTAINS_UNALLOWED_CHARACTERS:
    'has a {substitution} with a character other than letters, digits and _',
  SUBSTITUTION_STARTS_WITH_NUMBER: 'has a {substitution} that starts with a digit',
  TOO_LONG: 'is too long',
};

const isDigit = (c: number) => c >= 48 && c <= 57;
/** rcutils_isalnum_no_locale: ASCII letters and digits only. */
const isAlnum = (c: number) => isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const SLASH = 47;
const UNDERSCORE = 95;
const TILDE = 126;
const OPEN = 123;
const CLOSE = 125;

/** rcl_validate_topic_name: a topic or service name as written (relative, `~/x`, `{node}` allowed). */
export function validateTopicName(name: string): NameViolation | undefined {
  const n = name.length;
  if (n === 0) return { rule: 'IS_EMPTY_STRING', index: 0 };
  if (isDigit(name.charCodeAt(0))) return { rule: 'NAME_TOKEN_STARTS_WITH_NUMBER', index: 0 };
  if (name.charCodeAt(n - 1) === SLASH) return { rule: 'ENDS_WITH_FORWARD_SLASH', index: n - 1 };
  let inBraces = false;
  let openedAt = 0;
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    if (isAlnum(c) || c === UNDERSCORE) continue;
    if (c === SLASH || c === TILDE) {
      if (inBraces) return { rule: 'SUBSTITUTION_CONTAINS_UNALLOWED_CHARACTERS', index: i };
    } else if (c === OPEN) {
      if (inBraces) return { rule: 'SUBSTITUTION_CONTAINS_UNALLOWED_CHARACTERS', index: i };
      inBraces = true;
      openedAt = i;
    } else if (c === CLOSE) {
      if (!inBraces) return { rule: 'UNMATCHED_CURLY_BRACE', index: i };
      inBraces = false;
    } else {
      return {
        rule: inBraces ? 'SUBSTITUTION_CONTAINS_UNALLOWED_CHARACTERS' : 'CONTAINS_UNALLOWED_CHARACTERS',
        index: i,
      };
    }
  }
  if (inBraces) return { rule: 'UNMATCHED_CURLY_BRACE', index: openedAt };
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    if (c === TILDE) {
      if (i !== 0) return { rule: 'MISPLACED_TILDE', index: i };
      if (n > 1 && name.charCodeAt(1) !== SLASH)
        return { rule: 'TILDE_NOT_FOLLOWED_BY_FORWARD_SLASH', index: 1 };
    }
    if (i + 1 < n && isDigit(name.charCodeAt(i + 1))) {
      if (c === SLASH) return { rule: 'NAME_TOKEN_STARTS_WITH_NUMBER', index: i + 1 };
      if (c === OPEN) return { rule: 'SUBSTITUTION_STARTS_WITH_NUMBER', index: i + 1 };
    }
  }
  return undefined;
}

/** rmw_validate_full_topic_name: an expanded, absolute name (`/ns/topic`). */
export function validateFullTopicName(
  name: string,
  maxLength = TOPIC_MAX_NAME_LENGTH,
): NameViolation | undefined {
  const n = name.length;
  if (n === 0) return { rule: 'IS_EMPTY_STRING', index: 0 };
  if (name.charCodeAt(0) !== SLASH) return { rule: 'NOT_ABSOLUTE', index: 0 };
  if (n > 1 && name.charCodeAt(n - 1) === SLASH) return { rule: 'ENDS_WITH_FORWARD_SLASH', index: n - 1 };
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    if (!(isAlnum(c) || c === UNDERSCORE || c === SLASH))
      return { rule: 'CONTAINS_UNALLOWED_CHARACTERS', index: i };
  }
  for (let i = 0; i + 1 < n; i++) {
    if (name.charCodeAt(i) !== SLASH) continue;
    const next = name.charCodeAt(i + 1);
    if (next === SLASH) return { rule: 'CONTAINS_REPEATED_FORWARD_SLASH', index: i + 1 };
    if (isDigit(next)) return { rule: 'NAME_TOKEN_STARTS_WITH_NUMBER', index: i + 1 };
  }
  if (n > maxLength) return { rule: 'TOO_LONG', index: maxLength - 1 };
  return undefined;
}

/** rmw_validate_namespace: absolute, `/` alone allowed, no trailing `/`. */
export function validateNamespace(namespace: string): NameViolation | undefined {
  if (namespace === '/') return undefined;
  const v = validateFullTopicName(namespace, Number.POSITIVE_INFINITY);
  if (v) return v;
  if (namespace.length > NAMESPACE_MAX_LENGTH) return { rule: 'TOO_LONG', index: NAMESPACE_MAX_LENGTH - 1 };
  return undefined;
}

/** rmw_validate_node_name: letters, digits and `_`, not starting with a digit. */
export function validateNodeName(name: string): NameViolation | undefined {
  const n = name.length;
  if (n === 0) return { rule: 'IS_EMPTY_STRING', index: 0 };
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    if (!(isAlnum(c) || c === UNDERSCORE)) return { rule: 'CONTAINS_UNALLOWED_CHARACTERS', index: i };
  }
  if (isDigit(name.charCodeAt(0))) return { rule: 'STARTS_WITH_NUMBER', index: 0 };
  if (n > NODE_NAME_MAX_LENGTH) return { rule: 'TOO_LONG', index: NODE_NAME_MAX_LENGTH - 1 };
  return undefined;
}

/** Formats a violation: `topic name 'foo bar' contains ... ('␠' at index 3): rule CONTAINS_UNALLOWED_CHARACTERS`. */
export function describeViolation(kind: string, name: string, v: NameViolation): string {
  const ch = name[v.index];
  const at = ch === undefined ? `at index ${v.index}` : `(${JSON.stringify(ch)} at index ${v.index})`;
  return `${kind} ${JSON.stringify(name)} ${RULE_TEXT[v.rule]} ${at} [${v.rule}]`;
}

export function assertNodeName(name: string, source: string): void {
  const v = validateNodeName(name);
  if (v) throw new UserError(describeViolation('node name', name, v), { source });
}

/** Returns the namespace in its canonical form: `''` and `'foo'` become `'/'` and `'/foo'`, as rcl does. */
export function normalizeNamespace(namespace: string | undefined, source: string): string {
  let ns = namespace ?? '/';
  if (ns === '') ns = '/';
  else if (!ns.startsWith('/')) ns = `/${ns}`;
  const v = validateNamespace(ns);
  if (v) throw new UserError(describeViolation('namespace', ns, v), { source });
  return ns;
}

/**
 * rcl_expand_topic_name: `~` is the node's fully qualified name; a relative name goes
 * under the node's namespace; `{node}` and `{ns}` / `{namespace}` are substituted.
 * Validates the name before (rcl rules) and after (rmw rules) expansion.
 */
export function expandTopicName(
  name: string,
  nodeName: string,
  namespace: string,
  kind: 'topic' | 'service' | 'action',
  source: string,
): string {
  const before = validateTopicName(name);
  if (before) throw new UserError(describeViolation(`${kind} name`, name, before), { source });
  const ns = namespace === '/' ? '' : namespace;
  let out = name;
  if (out.includes('{')) {
    out = out.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, sub: string) => {
      if (sub === 'node') return nodeName;
      if (sub === 'ns' || sub === 'namespace') return namespace;
      throw new UserError(
        `${kind} name ${JSON.stringify(name)} has unknown substitution {${sub}}; known: {node}, {ns}, {namespace}`,
        { source },
      );
    });
  }
  if (out === '~') out = `${ns}/${nodeName}`;
  else if (out.startsWith('~/')) out = `${ns}/${nodeName}${out.slice(1)}`;
  else if (!out.startsWith('/')) out = `${ns}/${out}`;
  const after = validateFullTopicName(out);
  if (after) {
    throw new UserError(
      `${describeViolation(`expanded ${kind} name`, out, after)} (from ${JSON.stringify(name)} in node ${namespace === '/' ? '' : namespace}/${nodeName})`,
      { source },
    );
  }
  return out;
}
