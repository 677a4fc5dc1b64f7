import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CONTROL_CHARACTER_MESSAGE,
  NULL_CHARACTER_MESSAGE,
  findTextProblem,
  queryTextProblems,
  textProblem,
} from './text-rules';

const CONTROLS = [...Array(32).keys(), 127].map((c) => String.fromCharCode(c));

describe('textProblem', () => {
  it('refuses NUL and every C0 control and DEL in one-line text', () => {
    expect(textProblem('a\u0000b')).toBe(NULL_CHARACTER_MESSAGE);
    for (const c of CONTROLS.slice(1))
      expect(textProblem(`x${c}y`)).toBe(CONTROL_CHARACTER_MESSAGE);
  });

  it('allows tab, line feed and carriage return only in multi-line text', () => {
    for (const c of ['\t', '\n', '\r']) {
      expect(textProblem(`a${c}b`, 'multi-line')).toBeUndefined();
      expect(textProblem(`a${c}b`)).toBe(CONTROL_CHARACTER_MESSAGE);
    }
    expect(textProblem('a\u000bb', 'multi-line')).toBe(CONTROL_CHARACTER_MESSAGE);
  });

  it('refuses lone surrogates and keeps pairs (emoji) and other scripts', () => {
    expect(textProblem('\ud83d')).toBe('Surrogate characters are not allowed: U+D83D.');
    expect(textProblem('x\udc00')).toBe('Surrogate characters are not allowed: U+DC00.');
    expect(textProblem('👶🏽 Amína أمينة 阿米娜 \u200f')).toBeUndefined();
  });

  it('property: clean text passes, and one forbidden character anywhere makes it fail', () => {
    const clean = fc
      .string({ unit: 'grapheme', maxLength: 40 })
      .filter((s) => !/[\u0000-\u001f\u007f]/.test(s));
    fc.assert(
      fc.property(clean, fc.nat(), fc.constantFrom(...CONTROLS), (text, at, control) => {
        expect(textProblem(text)).toBeUndefined();
        const i = at % (text.length + 1);
        expect(textProblem(text.slice(0, i) + control + text.slice(i))).toBeDefined();
      }),
    );
  });
});

describe('findTextProblem', () => {
  it('finds the first bad string in a document, keys included, with its path', () => {
    expect(findTextProblem({ row: { reason: 'ok\nfine', name: ['a', 'b\u0000'] } })).toEqual({
      path: 'row.name.1',
      message: NULL_CHARACTER_MESSAGE,
    });
    expect(findTextProblem({ 'bad\u0001key': 1 })).toEqual({
      path: 'bad\u0001key',
      message: CONTROL_CHARACTER_MESSAGE,
    });
    expect(findTextProblem({ n: 1, b: true, z: null, s: 'tab\there' })).toBeUndefined();
  });
});

describe('queryTextProblems', () => {
  it('names the parameter whose decoded value is bad, and `query` for a bad name', () => {
    expect(queryTextProblems('http://x/a?search=Do%00e&page=2')).toEqual({
      search: [NULL_CHARACTER_MESSAGE],
    });
    expect(queryTextProblems('http://x/a?bad%07=1')).toEqual({
      query: [CONTROL_CHARACTER_MESSAGE],
    });
    expect(queryTextProblems('http://x/a?q=%E2%9C%93#frag%00')).toEqual({});
    expect(queryTextProblems('http://x/a')).toEqual({});
  });
});
