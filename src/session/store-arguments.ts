// What both stores accept from callers, checked alike: reserved field names, whole-millisecond times, lock outcomes.

/**
 * The hash field holding a session's absolute deadline (epoch milliseconds). Callers never name it:
 * both stores refuse it as a field name, so a caller value can never overwrite the deadline.
 */
export const absoluteDeadlineField = 'absolute_deadline_ms';

/** Throws when a caller names the reserved field: shared by both stores so they accept the same calls. */
export function assertCallerFieldNames(fieldNames: Iterable<string>): void {
  for (const fieldName of fieldNames) {
    if (fieldName === absoluteDeadlineField)
      throw new Error(`field name "${absoluteDeadlineField}" is reserved by the store`);
  }
}

/** Throws unless `value` is a whole number of milliseconds (Redis refuses anything else). */
export function assertMilliseconds(name: string, value: number, minimum = 0): void {
  if (!Number.isSafeInteger(value) || value < minimum)
    throw new Error(`${name} must be an integer number of milliseconds >= ${minimum}`);
}

/**
 * Checks `replaceSessionFields` arguments: no reserved name anywhere, and no field both set and
 * removed (the outcome would depend on the order a store applies them).
 */
export function assertReplaceArguments(
  expectedField: string,
  set: Readonly<Record<string, string>>,
  remove: readonly string[],
): void {
  const setFieldNames = Object.keys(set);
  assertCallerFieldNames([expectedField, ...setFieldNames, ...remove]);
  const removed = new Set(remove);
  for (const fieldName of setFieldNames) {
    if (removed.has(fieldName))
      throw new Error(`field "${fieldName}" cannot be both set and removed`);
  }
}

/**
 * Checks `releaseLock` arguments. An outcome equal to the owner token would let waiters mistake it
 * for a live hold, and let the owner release a second time.
 */
export function assertReleaseArguments(
  owner: string,
  outcome: { readonly value: string; readonly ttlMs: number } | undefined,
): void {
  if (outcome === undefined) return;
  assertMilliseconds('outcome.ttlMs', outcome.ttlMs, 1);
  if (outcome.value === owner) throw new Error('outcome.value must differ from the owner token');
}
