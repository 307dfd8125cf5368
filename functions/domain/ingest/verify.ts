/** Checks a landed object against its upload record (dataset, size, content type, checksum). */
import type { ObjectHead } from '../ports/index.ts';
import { mediaType } from '../uploads/content-type.ts';
import type { UploadRecord } from '../uploads/model.ts';
import { UploadMismatchError } from './errors.ts';
import type { LandingAddress } from './landing.ts';

const mismatch = (code: string, ja: string, en: string) => new UploadMismatchError({ code, ja, en });

/** Checks the object's head against its upload record; throws UploadMismatchError on any difference. */
export function verifyAgainstRecord(address: LandingAddress, head: ObjectHead, record: UploadRecord): void {
  if (record.dataset !== address.dataset) {
    throw mismatch(
      'DATASET_MISMATCH',
      `アップロードはデータセット「${record.dataset}」として申請されましたが、「${address.dataset}」に届きました。`,
      `The upload was requested for dataset "${record.dataset}" but arrived as "${address.dataset}".`,
    );
  }
  if (record.key !== head.key) {
    throw mismatch(
      'KEY_MISMATCH',
      'アップロード先が申請と一致しません。もう一度アップロードしてください。',
      'The object was stored under a different key than the one requested. Please upload again.',
    );
  }
  if (record.sizeBytes !== head.size) {
    throw mismatch(
      'SIZE_MISMATCH',
      `ファイルサイズ（${head.size} バイト）が申請（${record.sizeBytes} バイト）と一致しません。もう一度アップロードしてください。`,
      `The file has ${head.size} bytes but ${record.sizeBytes} were declared. Please upload again.`,
    );
  }
  if (head.contentType && mediaType(head.contentType) !== mediaType(record.contentType)) {
    throw mismatch(
      'CONTENT_TYPE_MISMATCH',
      `ファイル形式（${head.contentType}）が申請（${record.contentType}）と一致しません。`,
      `The content type ${head.contentType} differs from the declared ${record.contentType}.`,
    );
  }
  if (head.checksumSha256 && head.checksumSha256 !== record.sha256) {
    throw checksumMismatch();
  }
}

export const checksumMismatch = () =>
  mismatch(
    'CHECKSUM_MISMATCH',
    'ファイルのチェックサム（SHA-256）が申請と一致しません。ファイルが途中で変わった可能性があります。もう一度アップロードしてください。',
    'The file’s SHA-256 checksum differs from the one declared; it may have changed in transit. Please upload again.',
  );
