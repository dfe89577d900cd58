// The one mapping between the wire's snake_case and the SDK's camelCase, at the type level
// (`Camel<T>`) and at run time (`toCamel`, `toSnake`), so that every public type is derived
// from a generated wire type instead of being written out again.

/** `mode_target` → `modeTarget` (the run-time rule of `camelKey`). */
export type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}`
  ? `${Head}${Capitalize<CamelCase<Tail>>}`
  : S;

/**
 * Fields whose value is the caller's own data, or keyed by data rather than by field
 * names: their keys pass through unchanged in both directions.
 * - `metadata`: the caller's string → string map;
 * - `context`: the caller's JSON object, stored with history;
 * - `mode_strengths`: keyed by lowercase mode name (`stress_response`), the same names
 *   `affected_modes` and question options carry as values.
 */
export const OPAQUE_KEYS = ["metadata", "context", "mode_strengths"] as const;
type OpaqueKey = (typeof OPAQUE_KEYS)[number];

/** Any JSON object: what `context` is. */
export type JsonObject = { [key: string]: unknown };

/** The wire type `T` with every field name in camelCase (recursively), as the SDK shows it. */
export type Camel<T> = T extends readonly unknown[]
  ? { [I in keyof T]: Camel<T[I]> }
  : T extends object
    ? {
        [K in keyof T as K extends string ? CamelCase<K> : K]: K extends OpaqueKey
          ? T[K]
          : Camel<T[K]>;
      }
    : T;

const camelKey = (k: string): string => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const snakeKey = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function convert(value: unknown, key: (k: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => convert(v, key));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const wire = key === camelKey ? k : snakeKey(k);
    out[key(k)] = (OPAQUE_KEYS as readonly string[]).includes(wire) ? v : convert(v, key);
  }
  return out;
}

/** A decoded wire body → the SDK's shape (field names camelCased, opaque values untouched). */
export const toCamel = (wire: unknown): unknown => convert(wire, camelKey);

/** The SDK's shape → a wire body (field names snake_cased, opaque values untouched). */
export const toSnake = (value: unknown): unknown => convert(value, snakeKey);
