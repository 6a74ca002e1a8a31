// What both stores accept from callers, checked alike: the reserved deadline field and whole-millisecond times.

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
