/**
 * An error caused by input from outside the program: a file, a CLI flag, a message.
 * The CLI prints `message` without a stack trace and exits non-zero.
 * Messages name the bad field, its value and where it came from.
 */
export class UserError extends Error {
  override name = 'UserError';
  /** Where the bad input came from: a file path, a flag, a topic. */
  readonly source: string | undefined;
  constructor(message: string, options?: { source?: string; cause?: unknown }) {
    super(options?.source ? `${options.source}: ${message}` : message, { cause: options?.cause });
    this.source = options?.source;
  }
}

/** Formats zod issues as `field.path: message (got value)` lines. */
export function formatZodIssues(
  issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string; input?: unknown }>,
): string {
  return issues
    .map((i) => {
      const path = i.path.length ? i.path.map(String).join('.') : '(root)';
      const got = 'input' in i && i.input !== undefined ? ` (got ${safeJson(i.input)})` : '';
      return `${path}: ${i.message}${got}`;
    })
    .join('; ');
}

function safeJson(v: unknown): string {
  try {
    const s = typeof v === 'number' && !Number.isFinite(v) ? String(v) : JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    // JSON.stringify throws on bigint and cycles; String() on null-prototype objects.
    try {
      return String(v);
    } catch {
      return Object.prototype.toString.call(v);
    }
  }
}
