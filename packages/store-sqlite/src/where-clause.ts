/**
 * Collects the optional conditions of a list query and their named parameters. The
 * condition texts are fixed strings chosen by the caller (never user input), so each
 * combination of filters yields one SQL text that the statement cache prepares once.
 */
import type { NamedParams } from './statement-cache';

export class WhereClause {
  readonly #conditions: string[] = [];
  readonly params: NamedParams = {};

  /** Adds `condition` (ANDed with the others) and the parameters it binds. */
  add(condition: string, params: NamedParams = {}): this {
    this.#conditions.push(condition);
    Object.assign(this.params, params);
    return this;
  }

  /** `WHERE a AND b`, or an empty string when there is no condition. */
  toSql(): string {
    return this.#conditions.length === 0 ? '' : `WHERE ${this.#conditions.join(' AND ')}`;
  }
}
