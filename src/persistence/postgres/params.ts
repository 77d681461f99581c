/**
 * Positional parameters for SQL assembled per call (optional filters, patched columns): `add`
 * binds a value and returns its placeholder, so the SQL text never holds a caller's value.
 */
export class PgParams {
  readonly values: unknown[] = [];

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }

  /** `IN (...)` list placeholders. */
  list(values: readonly unknown[]): string {
    return values.map((value) => this.add(value)).join(', ');
  }
}
