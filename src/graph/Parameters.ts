/**
 * Node parameters, as rcl_interfaces defines them: declared with a default and a
 * descriptor, typed, range-checked, optionally read-only. Overrides (from a launch file)
 * are applied at declaration and checked like any other value.
 */
import { UserError } from '../errors.ts';

export type ParameterValue = boolean | number | string | Uint8Array | boolean[] | number[] | string[];

/** rcl_interfaces/msg/ParameterType names. */
export type ParameterType =
  | 'bool'
  | 'integer'
  | 'double'
  | 'string'
  | 'byte_array'
  | 'bool_array'
  | 'integer_array'
  | 'double_array'
  | 'string_array';

export interface NumberRange {
  /** Smallest allowed value (inclusive). */
  fromValue: number;
  /** Largest allowed value (inclusive). */
  toValue: number;
  /** If > 0, allowed values are fromValue + k·step (and toValue). @default 0 */
  step?: number;
}

/** rcl_interfaces/msg/ParameterDescriptor, plus a validation hook. */
export interface ParameterDescriptor {
  /** Shown by `ros2 param describe`. */
  description?: string;
  /**
   * The value type. JS numbers do not tell 1 from 1.0, so a number default is `double`
   * unless this says `integer`; arrays follow their first element (`string_array` when empty).
   * @default inferred from the default value
   */
  type?: ParameterType;
  /** Refuse every change after declaration. @default false */
  readOnly?: boolean;
  /** For `double` and `double_array`. */
  floatingPointRange?: NumberRange;
  /** For `integer` and `integer_array`. */
  integerRange?: NumberRange;
  /** Free text describing further constraints, for humans. */
  additionalConstraints?: string;
  /** Returns a reason to reject `value`, or undefined to accept it. */
  validate?: (value: ParameterValue) => string | undefined;
}

export interface SetParametersResult {
  successful: boolean;
  /** Why it failed; empty on success. */
  reason: string;
}

export interface ParameterChange {
  name: string;
  value: ParameterValue;
}

/** Widens a literal default to the declared value type: `declareParameter('k', 2)` gives `number`. */
export type Widen<V> = V extends boolean
  ? boolean
  : V extends number
    ? number
    : V extends string
      ? string
      : V extends Uint8Array
        ? Uint8Array
        : V extends boolean[]
          ? boolean[]
          : V extends number[]
            ? number[]
            : V extends string[]
              ? string[]
              : never;

interface Declared {
  type: ParameterType;
  descriptor: ParameterDescriptor;
  value: ParameterValue;
}

export function inferParameterType(value: ParameterValue): ParameterType {
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return 'double';
  if (typeof value === 'string') return 'string';
  if (value instanceof Uint8Array) return 'byte_array';
  const first = value[0];
  if (typeof first === 'boolean') return 'bool_array';
  if (typeof first === 'number') return 'double_array';
  return 'string_array';
}

/** Returns why `value` is not a valid `type`/`descriptor` value, or undefined. */
export function checkParameterValue(
  value: unknown,
  type: ParameterType,
  descriptor: ParameterDescriptor,
): string | undefined {
  const got = describe(value);
  const isInt = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v);
  const isNum = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  const scalar = (v: unknown, t: ParameterType): string | undefined => {
    switch (t) {
      case 'bool':
        return typeof v === 'boolean' ? undefined : `expected bool, got ${describe(v)}`;
      case 'string':
        return typeof v === 'string' ? undefined : `expected string, got ${describe(v)}`;
      case 'integer':
        if (!isInt(v)) return `expected integer, got ${describe(v)}`;
        return inRange(v as number, descriptor.integerRange);
      case 'double':
        if (!isNum(v)) return `expected a finite double, got ${describe(v)}`;
        return inRange(v as number, descriptor.floatingPointRange);
      default:
        return `unsupported element type ${t}`;
    }
  };
  let reason: string | undefined;
  if (type === 'byte_array') {
    reason = value instanceof Uint8Array ? undefined : `expected byte_array (Uint8Array), got ${got}`;
  } else if (type.endsWith('_array')) {
    if (!Array.isArray(value)) reason = `expected ${type}, got ${got}`;
    else {
      const elem = type.slice(0, -'_array'.length) as ParameterType;
      for (let i = 0; i < value.length && !reason; i++) {
        const r = scalar(value[i], elem);
        if (r) reason = `element [${i}]: ${r}`;
      }
    }
  } else reason = scalar(value, type);
  if (!reason && descriptor.validate) reason = descriptor.validate(value as ParameterValue);
  return reason;
}

function inRange(v: number, range: NumberRange | undefined): string | undefined {
  if (!range) return undefined;
  if (v < range.fromValue || v > range.toValue)
    return `${v} is outside [${range.fromValue}, ${range.toValue}]`;
  const step = range.step ?? 0;
  if (step > 0 && v !== range.toValue) {
    const k = (v - range.fromValue) / step;
    if (Math.abs(k - Math.round(k)) > 1e-9) return `${v} is not ${range.fromValue} + k * ${step}`;
  }
  return undefined;
}

function describe(v: unknown): string {
  if (v instanceof Uint8Array) return `Uint8Array(${v.length})`;
  if (Array.isArray(v)) return `array ${JSON.stringify(v).slice(0, 60)}`;
  if (typeof v === 'string') return `string ${JSON.stringify(v)}`;
  return `${typeof v} ${String(v)}`;
}

/** @internal A node's parameters; the Node exposes declareParameter/getParameter/setParameters. */
export class ParameterStore {
  readonly #params = new Map<string, Declared>();
  readonly #overrides: Readonly<Record<string, unknown>>;
  readonly #source: string;
  readonly #callbacks: ((changes: ParameterChange[]) => SetParametersResult)[] = [];

  constructor(overrides: Readonly<Record<string, unknown>>, source: string) {
    this.#overrides = overrides;
    this.#source = source;
  }

  declare(name: string, defaultValue: ParameterValue, descriptor: ParameterDescriptor): ParameterValue {
    const source = `${this.#source} parameter '${name}'`;
    if (!name || /[\s]/.test(name))
      throw new UserError(`invalid parameter name ${JSON.stringify(name)}`, { source });
    if (this.#params.has(name)) throw new UserError('parameter is already declared', { source });
    const type = descriptor.type ?? inferParameterType(defaultValue);
    const bad = checkParameterValue(defaultValue, type, descriptor);
    if (bad) throw new UserError(`default value rejected: ${bad}`, { source });
    let value = defaultValue;
    if (Object.hasOwn(this.#overrides, name)) {
      const override = this.#overrides[name];
      const r = checkParameterValue(override, type, descriptor);
      if (r) throw new UserError(`override rejected: ${r}`, { source: `${source} (override)` });
      value = override as ParameterValue;
    }
    this.#params.set(name, { type, descriptor, value });
    return value;
  }

  has(name: string): boolean {
    return this.#params.has(name);
  }

  get(name: string): ParameterValue {
    const p = this.#params.get(name);
    if (!p)
      throw new UserError('parameter is not declared', { source: `${this.#source} parameter '${name}'` });
    return p.value;
  }

  descriptor(name: string): Readonly<ParameterDescriptor & { type: ParameterType }> | undefined {
    const p = this.#params.get(name);
    return p ? { ...p.descriptor, type: p.type } : undefined;
  }

  names(): string[] {
    return [...this.#params.keys()].sort();
  }

  /** Each change is checked and applied on its own, as rcl's set_parameters does. */
  set(changes: ParameterChange[]): SetParametersResult[] {
    return changes.map((change) => {
      const p = this.#params.get(change.name);
      if (!p) return { successful: false, reason: `parameter '${change.name}' is not declared` };
      if (p.descriptor.readOnly)
        return { successful: false, reason: `parameter '${change.name}' is read-only` };
      const bad = checkParameterValue(change.value, p.type, p.descriptor);
      if (bad) return { successful: false, reason: `parameter '${change.name}': ${bad}` };
      for (const cb of this.#callbacks) {
        const r = cb([change]);
        if (!r.successful) return { successful: false, reason: `parameter '${change.name}': ${r.reason}` };
      }
      p.value = change.value;
      return { successful: true, reason: '' };
    });
  }

  addOnSetCallback(cb: (changes: ParameterChange[]) => SetParametersResult): () => void {
    this.#callbacks.push(cb);
    return () => {
      const i = this.#callbacks.indexOf(cb);
      if (i >= 0) this.#callbacks.splice(i, 1);
    };
  }
}
