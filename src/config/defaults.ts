import {
  type Evaluate,
  type Static,
  type TArray,
  type TObject,
  type TOptional,
  type TProperties,
  type TSchema,
  Type,
} from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

/**
 * Defaults live in the schema and nowhere else. A property declared with `Default(schema, value)` may be
 * left out of the YAML (it is not in the JSON Schema's `required`) but is always present in `Static<>`,
 * because the loader (ajv `useDefaults`) and `withDefaults` fill it. Code reading a loaded config therefore
 * never repeats a default with `??`.
 */
export type TDefault<T extends TSchema> = T & { default: Input<T> }

export function Default<T extends TSchema>(schema: T, value: Input<T>): TDefault<T> {
  // Optional at run time, so Type.Object leaves it out of `required`; required in the type, see above.
  return Type.Optional({ ...schema, default: value }) as unknown as TDefault<T>
}

type OmittableKeys<P extends TProperties> = {
  [K in keyof P]: P[K] extends TOptional<TSchema> | { default: unknown } ? K : never
}[keyof P]

/**
 * What a config may say before defaults are applied: the `Static<>` type with every defaulted property
 * optional, through nested objects and lists.
 */
export type Input<T> =
  T extends TObject<infer P>
    ? Evaluate<
        { [K in OmittableKeys<P>]?: Input<P[K]> } & { [K in Exclude<keyof P, OmittableKeys<P>>]: Input<P[K]> }
      >
    : T extends TArray<infer I>
      ? Input<I>[]
      : T extends TSchema
        ? Static<T>
        : never

/** A copy of `value` with the schema's defaults filled in, for configs built in code (tests, tools). */
export function withDefaults<T extends TSchema>(schema: T, value: Input<T>): Static<T> {
  return Value.Default(schema, structuredClone(value)) as Static<T>
}
