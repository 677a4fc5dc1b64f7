/**
 * Hostile values for the fuzz suites: strings with NUL and control characters, odd
 * Unicode (lone surrogates, RTL overrides, zero-width characters, emoji), huge strings
 * and numbers, deep nesting, boundary date-times and malformed JSON texts.
 */
import fc from 'fast-check';

/** Characters that break naive storage, logs and terminals. */
export const ODD_CHARACTERS = [
  '\u0000', // NUL: PostgreSQL text refuses it
  '\u0001',
  '\u0007',
  '\b',
  '\t',
  '\n',
  '\r',
  '\u001b', // ESC (terminal escapes in logs)
  '\u007f',
  '\u0085', // NEL
  '\u00a0',
  '\u2028', // line separator (breaks some JSON-in-JS)
  '\u2029',
  '\u200b', // zero-width space
  '\u200c',
  '\u200d',
  '\u2060',
  '\ufeff', // BOM / zero-width no-break space
  '\u202e', // right-to-left override
  '\u202d',
  '\u2066',
  '\u05d0', // Hebrew alef (RTL)
  '\u0627', // Arabic alef (RTL)
  '\ud800', // lone high surrogate
  '\udfff', // lone low surrogate
  '\ufffd',
  '\uffff', // noncharacter
  '\u{1f600}', // emoji outside the BMP
  '\u{1f468}\u200d\u{1f469}\u200d\u{1f467}', // ZWJ family
  '\u{1f1f0}\u{1f1ea}', // flag
  'e\u0301', // combining accent
  '\u{10ffff}',
  '%00',
  '%',
  '\\',
  '"',
  "'",
  '`',
  '${x}',
  '{{x}}',
  '<script>',
  '../',
  '%s%n',
  ';--',
  "' OR '1'='1",
  '\\u0000',
];

const oddChar = fc.constantFrom(...ODD_CHARACTERS);
const plainChar = fc.constantFrom(...'abcXYZ019 -_.@+:/');

/** A short string mixing ordinary and odd characters (always at least one odd one). */
export const oddString: fc.Arbitrary<string> = fc
  .tuple(fc.array(fc.oneof(plainChar, oddChar), { maxLength: 12 }), oddChar, fc.nat({ max: 12 }))
  .map(([parts, odd, at]) => {
    const chars = [...parts];
    chars.splice(Math.min(at, chars.length), 0, odd);
    return chars.join('');
  });

/** Strings around common limits (50, 64, 100, 150, 254, 1000, 2000 ...) and far beyond. */
export const longString: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom(
      31,
      32,
      33,
      50,
      51,
      64,
      65,
      100,
      101,
      150,
      151,
      200,
      201,
      254,
      255,
      320,
      321,
      1000,
      1001,
      2000,
      2001,
      4096,
      65_536,
    ),
    fc.constantFrom('a', 'é', '\u{1f600}', '\u0000', ' ', '9'),
  )
  .map(([n, c]) => c.repeat(n));

/** A body-sized string: just under and over the 1 MB API limit. */
export const hugeString: fc.Arbitrary<string> = fc
  .constantFrom(900_000, 1_048_577, 2_000_000)
  .map((n) => 'x'.repeat(n));

/** JSON text nested `depth` levels deep (arrays or objects), up to what fits in 1 MB. */
export const deepJsonText: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom(64, 1_000, 10_000, 100_000), fc.boolean())
  .map(([depth, arrays]) =>
    arrays
      ? `${'['.repeat(depth)}1${']'.repeat(depth)}`
      : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
  );

/** Numbers at the edges of JSON, JavaScript and SQL integer types. */
export const edgeNumber: fc.Arbitrary<number> = fc.constantFrom(
  0,
  -0,
  -1,
  1,
  0.5,
  -0.5,
  1e-7,
  2 ** 31 - 1,
  2 ** 31,
  -(2 ** 31),
  2 ** 32,
  2 ** 53 - 1,
  2 ** 53,
  -(2 ** 53) + 1,
  2 ** 63,
  1e21,
  1e308,
  -1e308,
  Number.MIN_VALUE,
  8.64e15,
  8.64e15 + 1,
  -8.64e15 - 1,
);

/** Any JSON value, small. */
export const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  edgeNumber,
  fc.integer(),
  oddString,
  fc.string({ maxLength: 8 }),
  fc.constant([]),
  fc.constant({}),
  fc.array(fc.oneof(fc.integer(), oddString), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 }),
);

/** A value of the wrong JSON type for a field (whatever its type is). */
export const wrongTypeValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  edgeNumber,
  fc.constant(''),
  fc.constant('null'),
  fc.constant('true'),
  fc.constant('1'),
  fc.constant([]),
  fc.constant(['x']),
  fc.constant({}),
  fc.constant({ $gt: '' }),
  fc.constant({ toString: 'x' }),
);

/** Date-times a strict ISO-8601-with-offset parser must accept or refuse cleanly. */
export const oddDateTime: fc.Arbitrary<string> = fc.constantFrom(
  '0000-01-01T00:00:00Z',
  '0001-01-01T00:00:00Z',
  '1969-12-31T23:59:59.999Z',
  '1970-01-01T00:00:00Z',
  '2030-01-01T06:00:00Z',
  '2038-01-19T03:14:08Z',
  '9999-12-31T23:59:59.999999999Z',
  '+275760-09-13T00:00:00Z',
  '-000001-01-01T00:00:00Z',
  '2030-02-29T10:00:00Z',
  '2032-02-29T10:00:00Z',
  '2030-01-15T23:59:60Z',
  '2030-01-15T24:00:00Z',
  '2030-01-15T10:00:00+14:00',
  '2030-01-15T10:00:00-12:00',
  '2030-01-15T10:00:00+99:99',
  '2030-01-15T10:00:00+2400',
  '2030-01-15T10:00:00-00:00',
  '2030-01-15T10:00:00+05:45',
  '2030-01-15T10:00:00',
  '2030-01-15 10:00:00Z',
  '2030-01-15t10:00:00z',
  '2030-01-15T10:00Z',
  '2030-01-15T10:00:00.1234567890Z',
  '2030-01-15',
  'T10:00:00Z',
  '1893456000000',
  '2030-01-15T10:00:00Z\u0000',
  '\u0662\u0660\u0663\u0660-01-15T10:00:00Z',
  'now',
  '',
);

/** Texts that are not one valid JSON document (or barely are). */
export const malformedJsonText: fc.Arbitrary<string> = fc.constantFrom(
  '',
  ' ',
  '{',
  '}',
  '{"a":',
  '{"a":1,}',
  "{'a':1}",
  '{"a":NaN}',
  '{"a":Infinity}',
  '{"a":undefined}',
  '[1,2',
  '\ufeff{}',
  '{}\u0000',
  '{"a":"\\ud800"}',
  '{"a":"\\u0000"}',
  '{"__proto__":{"admin":true}}',
  '{"constructor":{"prototype":{"x":1}}}',
  '{"a":1}{"b":2}',
  'null',
  'true',
  '0',
  '-0',
  '1e999',
  '"text"',
  '[]',
  '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]',
  '{"a":1,"a":2}',
  '\u0000',
);
