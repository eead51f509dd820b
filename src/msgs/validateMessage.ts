import type { z } from 'zod';
import { formatZodIssues, UserError } from '../errors.ts';
import type { MessageType } from './generated/types.ts';
import { messageCheck } from './messageCheck.ts';
import { messageSchema } from './messageSchema.ts';

interface Issue {
  path: PropertyKey[];
  message: string;
  input?: unknown;
}

/**
 * Checks `value` against the message type's schema (see messageSchema()) and returns it typed.
 * Does not fill defaults: call fillDefaults() first for input that may omit fields.
 *
 * Fast path: a check compiled from the definition (messageCheck()) accepts a well-formed message
 * without allocating, and then `value` itself is returned. Only what it refuses is parsed by the
 * zod schema, which decides and names the bad fields; a value zod accepts there comes back as
 * zod returns it (a copy, with uint8[] given as plain arrays turned into Uint8Array).
 *
 * @param source where the value came from, for the error: a topic, a file, a flag.
 * @throws UserError naming each bad field's path, its value and the source, e.g.
 *   `/joint_states: position.2: expected number (got "x")`.
 */
export function validateMessage<T extends string>(type: T, value: unknown, source?: string): MessageType<T> {
  if (messageCheck(type)(value)) return value as MessageType<T>;
  const result = messageSchema(type).safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  throw new UserError(`invalid ${type}: ${formatZodIssues(flattenIssues(result.error.issues))}`, {
    source,
    cause: result.error,
  });
}

/**
 * Makes zod's issues read well: a failed union (array or typed array) reports the elements that
 * failed rather than "Invalid input"; unknown keys and missing fields are named by their path.
 */
export function flattenIssues(issues: readonly z.core.$ZodIssue[], prefix: PropertyKey[] = []): Issue[] {
  const out: Issue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union') {
      const deep = issue.errors.find((branch) => branch.some((i) => i.path.length > 0));
      if (deep) {
        out.push(...flattenIssues(deep, path));
        continue;
      }
    }
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const input = (issue.input as Record<string, unknown> | undefined)?.[key];
        out.push({ path: [...path, key], message: 'unknown field', input });
      }
      continue;
    }
    if (issue.input === undefined) {
      out.push({ path, message: `missing field, ${issue.message}` });
      continue;
    }
    out.push({ path, message: issue.message, input: issue.input });
  }
  return out;
}
