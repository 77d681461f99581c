/**
 * better-sqlite3 is synchronous, but the Store contract is async so that network backends fit the
 * same shape. This runs the synchronous work now and turns a thrown error into a rejection, so
 * callers see the same failure mode from every backend.
 */
export function settle<T>(work: () => T): Promise<T> {
  return new Promise((resolve) => resolve(work()));
}
