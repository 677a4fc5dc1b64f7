/**
 * Valid values for a JSON Schema (the subset zod's `toJSONSchema` writes into the OpenAPI
 * document: types, enum/const, lengths, patterns, formats, anyOf, $ref, required), as
 * fast-check arbitraries. Field names steer the values toward ones the API accepts (real
 * ids of the right kind, times in the near future, known time zones), so valid requests
 * get past validation into the services and the store.
 */
import fc from 'fast-check';

export type JsonSchema = { [key: string]: unknown };

export interface SchemaHints {
  /** Resolves `#/components/schemas/X`. */
  resolve(ref: string): JsonSchema;
  /** A value for a field by its name, or undefined to follow the schema. */
  forField(name: string | undefined, schema: JsonSchema): fc.Arbitrary<unknown> | undefined;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

function stringFor(schema: JsonSchema): fc.Arbitrary<string> {
  const min = num(schema.minLength) ?? 0;
  const max = Math.max(min, Math.min(num(schema.maxLength) ?? 24, 24));
  if (typeof schema.pattern === 'string') {
    const pattern = new RegExp(schema.pattern, 'u');
    return fc
      .stringMatching(pattern, { size: 'xsmall' })
      .filter((s) => s.length >= min && s.length <= (num(schema.maxLength) ?? Infinity));
  }
  // Readable text most of the time: the odd kind is the mutators' business.
  return fc.string({
    minLength: min,
    maxLength: max,
    unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz ABCDEFGH0123456789-'),
  });
}

export function valueFor(
  schema: JsonSchema,
  hints: SchemaHints,
  name?: string,
  depth = 0,
): fc.Arbitrary<unknown> {
  if (typeof schema.$ref === 'string')
    return valueFor(hints.resolve(schema.$ref), hints, name, depth);
  const hinted = hints.forField(name, schema);
  if (hinted) return hinted;
  if ('const' in schema) return fc.constant(schema.const);
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return fc.constantFrom(...schema.enum);
  const options = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (Array.isArray(options) && options.length > 0) {
    return fc.oneof(...options.map((o) => valueFor(o, hints, name, depth)));
  }
  if (Array.isArray(schema.type)) {
    return fc.oneof(
      ...(schema.type as string[]).map((t) => valueFor({ ...schema, type: t }, hints, name, depth)),
    );
  }
  switch (schema.type) {
    case 'string':
      return stringFor(schema);
    case 'integer':
    case 'number': {
      const min = num(schema.minimum) ?? (num(schema.exclusiveMinimum) ?? -1001) + 1;
      const max = num(schema.maximum) ?? (num(schema.exclusiveMaximum) ?? 1001) - 1;
      const lo = Math.max(min, -1_000);
      return fc.integer({ min: lo, max: Math.max(lo, Math.min(max, 1_000)) });
    }
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const items = (schema.items ?? {}) as JsonSchema;
      const min = num(schema.minItems) ?? 0;
      const max = Math.max(min, Math.min(num(schema.maxItems) ?? 3, 3));
      if (depth > 4) return fc.constant([]);
      return fc.array(valueFor(items, hints, name, depth + 1), { minLength: min, maxLength: max });
    }
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
      const required = new Set((schema.required ?? []) as string[]);
      if (depth > 4) return fc.constant({});
      const shape: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [key, sub] of Object.entries(properties)) {
        shape[key] = valueFor(sub, hints, key, depth + 1);
      }
      const requiredKeys = Object.keys(shape).filter((k) => required.has(k));
      return fc.record(shape, { requiredKeys });
    }
    default:
      return fc.oneof(fc.constant(null), fc.integer(), fc.string({ maxLength: 8 }), fc.boolean());
  }
}

/** The names of an object schema's properties and which are required (after $ref). */
export function objectFields(
  schema: JsonSchema | undefined,
  hints: SchemaHints,
): { names: string[]; required: string[] } {
  let s = schema;
  while (s && typeof s.$ref === 'string') s = hints.resolve(s.$ref);
  if (!s || s.type !== 'object') return { names: [], required: [] };
  return {
    names: Object.keys((s.properties ?? {}) as object),
    required: (s.required ?? []) as string[],
  };
}
