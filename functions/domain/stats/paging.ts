/**
 * Pages of a published statistic for `GET /stats/{name}` (`?limit=&cursor=`): a Lambda response is
 * at most 6 MB, and a national-scale statistic has far more cells than fit. The cursor is opaque to
 * callers: it names the release and the offset, so every page of one walk comes from one release.
 */
import { ValidationError } from '../errors.ts';
import { msg } from '../i18n.ts';

/** Cells per page when the caller names no limit (about 0.3 MB of JSON). */
export const DEFAULT_PAGE_CELLS = 1000;
/** Largest page a caller may ask for (well under Lambda's 6 MB response limit). */
export const MAX_PAGE_CELLS = 5000;

interface Position {
  readonly releaseId: string;
  readonly offset: number;
}

const encode = (p: Position) =>
  Buffer.from(JSON.stringify({ r: p.releaseId, o: p.offset })).toString('base64url');

const badCursor = () =>
  new ValidationError(
    msg(
      'cursor が正しくありません。前のページの応答にある next をそのまま渡してください。',
      'The cursor is not valid: pass the `next` value of the previous page unchanged.',
    ),
    'cursor',
  );

/** The release and offset a cursor names; ValidationError when it is not one of ours. */
export function decodeCursor(cursor: string): Position {
  try {
    const raw = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { r?: unknown; o?: unknown };
    if (typeof raw.r !== 'string' || typeof raw.o !== 'number' || !Number.isInteger(raw.o) || raw.o < 0) {
      throw badCursor();
    }
    return { releaseId: raw.r, offset: raw.o };
  } catch {
    throw badCursor();
  }
}

/** The page size from `?limit=`: DEFAULT_PAGE_CELLS when absent; ValidationError outside 1..MAX. */
export function pageLimit(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_PAGE_CELLS;
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_CELLS) {
    throw new ValidationError(
      msg(
        `limit は 1 から ${MAX_PAGE_CELLS} までの整数で指定してください。`,
        `limit must be a whole number from 1 to ${MAX_PAGE_CELLS}.`,
      ),
      'limit',
    );
  }
  return limit;
}

/**
 * One page of a statistic's cells: `limit` cells from the cursor's offset, and `next` (a cursor)
 * when more remain. A cursor from another release is refused: the release changed mid-walk.
 */
export function pageOf<T>(
  releaseId: string,
  cells: readonly T[],
  options: { readonly limit?: string | undefined; readonly cursor?: string | undefined },
): { readonly cells: T[]; readonly next?: string } {
  const limit = pageLimit(options.limit);
  const start = options.cursor === undefined ? 0 : decodeCursor(options.cursor);
  if (typeof start !== 'number' && start.releaseId !== releaseId) {
    throw new ValidationError(
      msg(
        'ページの途中で新しい統計が公表されました。cursor を付けずに最初のページから読み直してください。',
        'A new release was published while you were paging: start again from the first page, without a cursor.',
      ),
      'cursor',
    );
  }
  const offset = typeof start === 'number' ? start : start.offset;
  const page = cells.slice(offset, offset + limit);
  const after = offset + page.length;
  return after < cells.length ? { cells: page, next: encode({ releaseId, offset: after }) } : { cells: page };
}
