import { createHash } from 'node:crypto';
import type { DatasetDef } from '../catalog/schema.ts';
import { type FieldMessages, ValidationError, validationErrorFrom } from '../errors.ts';
import { msg } from '../i18n.ts';
import { canonicalJson } from '../ledger/ledger.ts';
import { japanDay } from '../tenants/rules.ts';
import { type Consent, consentSchema } from './model.ts';

/**
 * Why Kura processes employees' data, as recorded with every attestation: analysis for the company
 * that provided it, and (only after anonymisation) pooled statistics.
 */
export const CONSENT_PURPOSE = 'provider_analysis_and_anonymised_statistics';

export const CONSENT_FIELDS: FieldMessages = {
  consent: msg(
    'consent は obtained・method・obtainedAt・attestedBy を持つオブジェクトで指定してください。',
    'consent must be an object with obtained, method, obtainedAt and attestedBy.',
  ),
  'consent.obtained': msg(
    'consent.obtained は true にしてください（従業員の同意を得ていることの確認）。',
    'consent.obtained must be true: employees must have consented.',
  ),
  'consent.method': msg(
    'consent.method は written（書面）、electronic（電子）、employment_rules（就業規則）、other（その他）のいずれかにしてください。',
    'consent.method must be one of written, electronic, employment_rules, other.',
  ),
  'consent.obtainedAt': msg(
    'consent.obtainedAt は同意を得た日付を 2026-04-01 の形式で指定してください。',
    'consent.obtainedAt must be the date consent was obtained, like 2026-04-01.',
  ),
  'consent.attestedBy': msg(
    'consent.attestedBy に確認した人（例: 人事部長 山田）を 200 文字以内で指定してください。',
    'consent.attestedBy must name who attests (e.g. 人事部長 山田), at most 200 characters.',
  ),
};

/**
 * The consent a dataset needs. Datasets with personal data about employees require an attestation;
 * others need none (a given one is ignored). Throws ValidationError saying exactly what is missing.
 */
export function requiredConsent(dataset: DatasetDef, consent: unknown, today: Date): Consent | undefined {
  if (!dataset.personal) return undefined;
  if (consent === undefined || consent === null) {
    throw new ValidationError(
      msg(
        `データセット「${dataset.ja}」（${dataset.name}）は従業員の個人データを含むため、同意の確認が必要です。consent に obtained（true）、method（written / electronic / employment_rules / other）、obtainedAt（日付）、attestedBy（確認者）を指定してください。`,
        `Dataset ${dataset.name} holds personal data about employees, so it needs a consent attestation: send consent with obtained (true), method (written, electronic, employment_rules or other), obtainedAt (a date) and attestedBy (who attests).`,
      ),
      'consent',
    );
  }
  const parsed = consentSchema.safeParse(consent);
  if (!parsed.success) {
    throw validationErrorFrom(
      parsed.error.issues.map((issue) => ({ ...issue, path: ['consent', ...issue.path] })),
      CONSENT_FIELDS,
    );
  }
  if (parsed.data.obtainedAt > japanDay(today)) {
    throw new ValidationError(
      msg(
        'consent.obtainedAt が未来の日付です。同意を得た日を指定してください。',
        'consent.obtainedAt is in the future: give the date consent was obtained.',
      ),
      'consent.obtainedAt',
    );
  }
  return parsed.data;
}

/**
 * A digest of the attestation for the ledger: the ledger proves what was attested without holding
 * the attester's name (the full attestation stays in the tenant's upload record).
 */
export const consentDigest = (consent: Consent) =>
  createHash('sha256').update(canonicalJson(consent)).digest('hex');
