/** Where the graph writes log lines. Inject one into `createContext({ logger })` to capture them. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Writes info and above to stderr (stdout is kept for program output); drops debug. */
export const stderrLogger: Logger = Object.freeze({
  debug() {},
  info: (m: string) => console.error(`[INFO] ${m}`),
  warn: (m: string) => console.error(`[WARN] ${m}`),
  error: (m: string) => console.error(`[ERROR] ${m}`),
});

/** Prefixes every line with `[node]`. */
export function prefixLogger(base: Logger, prefix: string): Logger {
  return {
    debug: (m) => base.debug(`[${prefix}] ${m}`),
    info: (m) => base.info(`[${prefix}] ${m}`),
    warn: (m) => base.warn(`[${prefix}] ${m}`),
    error: (m) => base.error(`[${prefix}] ${m}`),
  };
}
