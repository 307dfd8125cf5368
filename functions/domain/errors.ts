import type { Message } from './i18n.ts';
import type * as z from './zod.ts';

/**
 * Errors a caller can fix, each with a bilingual message and, where it applies, the request field
 * at fault. The API maps them to HTTP statuses in one place (functions/api/errors.ts); domain code
 * only says what went wrong. `Error.message` is the English text, for logs.
 */
export abstract class KuraError extends Error {
  abstract readonly code: string;
  readonly userMessage: Message;
  readonly field: string | undefined;

  constructor(userMessage: Message, field?: string) {
    super(userMessage.en);
    this.userMessage = userMessage;
    this.field = field;
  }
}

/** The request body is not JSON, or not an object. */
export class MalformedRequestError extends KuraError {
  override readonly name = 'MalformedRequestError';
  readonly code = 'MALFORMED_REQUEST';
}

/** A field has a value Kura cannot accept; `field` names it (dotted path, e.g. `consent.method`). */
export class ValidationError extends KuraError {
  override readonly name = 'ValidationError';
  readonly code = 'VALIDATION_FAILED';
}

/** The declared size is above what the dataset or the platform accepts. */
export class PayloadTooLargeError extends KuraError {
  override readonly name = 'PayloadTooLargeError';
  readonly code = 'PAYLOAD_TOO_LARGE';
}

/** No valid identity came with the request. */
export class UnauthorizedError extends KuraError {
  override readonly name = 'UnauthorizedError';
  readonly code = 'UNAUTHORIZED';
}

/** The caller is known but lacks the role for this action. */
export class ForbiddenError extends KuraError {
  override readonly name: string = 'ForbiddenError';
  readonly code: string = 'FORBIDDEN';
}

/** Nothing the caller may see exists here (also what another tenant's resource looks like). */
export class NotFoundError extends KuraError {
  override readonly name = 'NotFoundError';
  readonly code = 'NOT_FOUND';
}

/** The resource exists already, or changed since it was read. */
export class ConflictError extends KuraError {
  override readonly name = 'ConflictError';
  readonly code = 'CONFLICT';
}

/** Something Kura depends on is not available now; the same request may succeed later. */
export class ServiceUnavailableError extends KuraError {
  override readonly name: string = 'ServiceUnavailableError';
  readonly code: string = 'SERVICE_UNAVAILABLE';
}

/** Bilingual messages for the fields of one request schema, keyed by dotted path. */
export type FieldMessages = Readonly<Record<string, Message>>;

/**
 * The first problem zod found, as a ValidationError naming the field. Messages come from `messages`
 * (bilingual) by dotted path, falling back to the parent path and then to zod's English text.
 */
export function validationErrorFrom(
  issues: ReadonlyArray<{
    readonly path: ReadonlyArray<PropertyKey>;
    readonly message: string;
    readonly code?: string;
    readonly keys?: readonly string[];
  }>,
  messages: FieldMessages,
): ValidationError {
  const issue = issues[0];
  if (!issue) return new ValidationError({ ja: '入力が正しくありません。', en: 'The request is not valid.' });
  if (issue.code === 'unrecognized_keys' && issue.keys?.length) {
    const keys = issue.keys.join(', ');
    const prefix = issue.path.length > 0 ? `${issue.path.map(String).join('.')}.` : '';
    return new ValidationError(
      {
        ja: `不明な項目があります: ${keys}。会社（テナント）はログイン情報から決まるため、指定できません。使える項目だけを送ってください。`,
        en: `Unknown field(s): ${keys}. Send only the documented fields (the tenant always comes from your sign-in).`,
      },
      `${prefix}${issue.keys[0]}`,
    );
  }
  const path = issue.path.map(String);
  const field = path.join('.');
  for (let length = path.length; length > 0; length--) {
    const message = messages[path.slice(0, length).join('.')];
    if (message) return new ValidationError(message, field);
  }
  return new ValidationError(
    { ja: `${field || '入力'}: ${issue.message}`, en: `${field || 'request'}: ${issue.message}` },
    field || undefined,
  );
}

/** The one message for a request body that is not a JSON object. */
export const BODY_NOT_OBJECT: Message = {
  ja: 'リクエスト本文は JSON オブジェクトにしてください。',
  en: 'The request body must be a JSON object.',
};

/**
 * Parses a JSON request body with its schema: a body that is not an object is a MalformedRequestError,
 * an invalid one a ValidationError naming the field (messages per field path). With `optional`, an
 * absent body parses as `{}`.
 */
export function parseRequestBody<T>(
  schema: z.ZodMiniType<T>,
  body: unknown,
  messages: FieldMessages,
  options: { readonly optional?: boolean } = {},
): T {
  const value = body === undefined && options.optional ? {} : body;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MalformedRequestError(BODY_NOT_OBJECT);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw validationErrorFrom(parsed.error.issues, messages);
  return parsed.data;
}
