import {
  ConflictError,
  ForbiddenError,
  KuraError,
  MalformedRequestError,
  NotFoundError,
  PayloadTooLargeError,
  ServiceUnavailableError,
  UnauthorizedError,
  ValidationError,
} from '../domain/errors.ts';
import { type Lang, msg, pick } from '../domain/i18n.ts';
import { LedgerContentionError } from '../domain/ledger/ledger.ts';
import { PurgeDeleteFailedError } from '../domain/purge/errors.ts';

/** The one place errors become HTTP statuses. */
const STATUS_BY_ERROR: ReadonlyArray<readonly [new (...args: never[]) => KuraError, number]> = [
  [MalformedRequestError, 400],
  [UnauthorizedError, 401],
  [ForbiddenError, 403],
  [NotFoundError, 404],
  [ConflictError, 409],
  [PayloadTooLargeError, 413],
  [ValidationError, 422],
  // Deletion failed after retries (permissions, Object Lock): resumable, so the caller may retry later.
  [PurgeDeleteFailedError, 503],
  // A job's function could not be started (Lambda refused the invocation): try again later.
  [ServiceUnavailableError, 503],
  // Too many writers on one ledger chain even after backing off: nothing was saved; retry shortly.
  [LedgerContentionError, 503],
];

export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export const jsonResponse = (statusCode: number, value: unknown, lang: Lang): HttpResponse => ({
  statusCode,
  headers: {
    'content-type': 'application/json; charset=utf-8',
    'content-language': lang,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  },
  body: JSON.stringify(value),
});

const INTERNAL = msg(
  'サーバーで問題が起きました。時間をおいてもう一度お試しください。続く場合はサポートにお問い合わせください。',
  'Something went wrong on the server. Please try again later, and contact support if it persists.',
);

/**
 * The response for an error: a caller-fixable KuraError becomes its status with
 * `{ error: { code, message, field? } }` in the caller's language; anything else is a 500 that
 * reveals nothing (the caller logs it).
 */
export function errorResponse(error: unknown, lang: Lang): HttpResponse {
  if (error instanceof KuraError) {
    const status = STATUS_BY_ERROR.find(([type]) => error instanceof type)?.[1] ?? 400;
    return jsonResponse(
      status,
      {
        error: {
          code: error.code,
          message: pick(error.userMessage, lang),
          ...(error.field !== undefined ? { field: error.field } : {}),
        },
      },
      lang,
    );
  }
  return jsonResponse(500, { error: { code: 'INTERNAL', message: pick(INTERNAL, lang) } }, lang);
}
