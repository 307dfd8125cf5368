/** The errors every port raises in the same words, whichever adapter is behind it. */
/** Raised by ports when an object, item or key does not exist. */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
}

/** Raised by Table.put when its condition does not hold. */
export class ConditionFailedError extends Error {
  override readonly name = 'ConditionFailedError';
}
