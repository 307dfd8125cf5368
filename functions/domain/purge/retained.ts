/**
 * What stays of a company after its purge, on purpose, written into every deletion certificate: each
 * store that keeps something, what it keeps, why, and until when, in Japanese and English. The list must
 * stay true: a store that starts keeping something of a company, or stops, changes it here (and
 * docs/PRIVACY.md, "Zones, retention and who may read them").
 *
 * Decided with the disclosure work (issue 15, docs/PRIVACY.md "Earlier releases when a company leaves"):
 * releases published before the purge stay published, and the anonymised tables and audit truths they
 * were made from stay with them, readable by administrators only. The certificate says so instead of
 * implying that nothing of the company's figures is left.
 */
import { msg } from '../i18n.ts';
import { JOB_RECORD_DAYS } from '../jobs/jobs.ts';
import type { PlatformSettings } from '../settings.ts';
import { factorRangeText } from '../stats/perturbation.ts';
import type { RetainedStore } from './certificate.ts';

/** DynamoDB point-in-time recovery keeps a table's changes for this many days (infra/constructs/kura-table.ts). */
export const TABLE_BACKUP_DAYS = 35;

/** Every store that keeps something of a purged company, in the order a reader would ask about them. */
export function retainedAfterPurge(settings: PlatformSettings): RetainedStore[] {
  const { auditLockDays, queryResultsDays } = settings.retention;
  const factors = factorRangeText(settings.disclosure);
  return [
    {
      store: 'ledger',
      holds: msg(
        '台帳（ledger テーブル）にある当社に関する記録: ID、データセット名、件数、ハッシュ、日時、操作した利用者・担当者の ID（氏名やメールアドレスではありません）、同意の方法・日付と表明のダイジェスト。毎日の台帳エクスポート（監査バケット）にも同じ記録があります。',
        "The company's entries in the ledger table: ids, dataset names, counts, hashes, times, the identity provider ids of the users and staff who acted (never names or e-mail addresses), consent method, date and the attestation's digest. The daily ledger exports in the audit bucket hold the same entries.",
      ),
      why: msg(
        '当社のデータに対して行われたすべての処理と、この削除そのものの証跡です。記録は追記専用のハッシュチェーンで、1 件でも消すと改ざんがないことを証明できなくなります。',
        'Evidence of every processing of the company’s data and of this deletion. The entries form an append-only hash chain: removing any would make it impossible to prove that none was altered.',
      ),
      until: msg(
        `ledger テーブルでは無期限。エクスポートは Object Lock（COMPLIANCE）で ${auditLockDays} 日間、変更・削除できません。`,
        `For good in the ledger table; the exports are under Object Lock (COMPLIANCE) for ${auditLockDays} days, unchangeable.`,
      ),
    },
    {
      store: 'audit-certificates',
      holds: msg(
        'この削除証明書と証明書チェーンの先頭（ID、日時、件数、ハッシュのみ）。',
        'This deletion certificate and the head of the certificate chain (ids, times, counts and hashes only).',
      ),
      why: msg('削除したことの証拠です。', 'The evidence of the deletion itself.'),
      until: msg(
        `Object Lock（COMPLIANCE）で ${auditLockDays} 日間、変更・削除できません。`,
        `Under Object Lock (COMPLIANCE) for ${auditLockDays} days, unchangeable.`,
      ),
    },
    {
      store: 'tenants',
      holds: msg(
        '墓標レコード: 会社 ID、業種・都道府県・規模区分（プロフィール）、契約日、状態 PURGED、削除の日時とこの証明書の ID。会社名は削除済みです。',
        'A tombstone record: the company id, its industry, prefecture and size band (its profile), contract dates, state PURGED, the purge times and this certificate’s id. The company name is removed.',
      ),
      why: msg(
        '同じ ID で二度削除したり別の会社を登録したりしないため、また削除後に届いたファイルや要求を削除済みの会社のものと見分けて削除・拒否するためです。プロフィールは区分であり、個人を示しません。',
        'So the id is never purged twice or given to another company, and so files and requests that arrive after the purge are recognised as the purged company’s, then deleted or refused. The profile names a segment, no person.',
      ),
      until: msg('無期限。', 'For good.'),
    },
    {
      store: 'anonymised-releases',
      holds: msg(
        'この削除より前の統計リリースの匿名加工情報（curated バケット anonymised/）にある当社の行: 会社単位の月次の値（売上高など）は提供されたとおりの正確な値、従業員の行は準識別子を一般化した値です。会社はリリースごとに新しい無作為のコードで表され、対応表はありません。ただし各行の record_key・company_key はプラットフォームの摂動鍵による HMAC で、その鍵を持つ者は会社 ID から再計算できます。',
        'The company’s rows in the anonymised data (匿名加工情報, curated bucket anonymised/) of every statistics release made before this deletion: its company-level monthly figures (such as sales) exactly as it sent them, and its employees’ rows with generalised quasi-identifiers. Each release names the company by a random code new in that release, with no mapping kept; but every row’s record_key and company_key is an HMAC under the platform perturbation key, which whoever holds that key can recompute from the company id.',
      ),
      why: msg(
        '公表済みリリースの元データとして、リリースごとに変更せず保持します（開示制御の判断、docs/PRIVACY.md「Earlier releases when a company leaves」）。読めるのはプラットフォーム管理者（admin ワークグループ、分析用管理者ロール）だけで、BI や会社は読めません。この削除より後のリリースには含まれません。',
        'Kept unchanged as the basis of the releases published from them (the disclosure decision, docs/PRIVACY.md "Earlier releases when a company leaves"). Only platform administrators can read them (the admin workgroup, the analysis admin role), never BI tools or companies. No release made after this deletion contains the company.',
      ),
      until: msg('それぞれのリリースと同じ期間（保持）。', 'As long as each release is kept (kept).'),
    },
    {
      store: 'release-audit-truths',
      holds: msg(
        'この削除より前のリリースについて、リリース監査が保存したセルごとの真値と指紋、秘匿理由（stats バケット stats-admin/）。当社の寄与を含むセルの真の合計・件数で、当社が大半を占めるセルでは当社の値に近くなります。',
        'For releases made before this deletion, the per-cell truths and fingerprints the release audit stored, and the suppression reasons (stats bucket stats-admin/): true totals and counts of cells the company contributed to; in a cell the company dominates, close to its own figure.',
      ),
      why: msg(
        '後のリリースの監査は、過去に公表されたすべての値を知る攻撃者を想定し、秘匿セルや差分から当社の値が分からないことをこれで確認します。読めるのは管理者だけです。',
        'The audit of every later release models an attacker who knows every earlier published figure; it needs these truths to check that no later release reveals a suppressed cell or a difference, the company’s included. Administrators only.',
      ),
      until: msg('それぞれのリリースと同じ期間（保持）。', 'As long as each release is kept (kept).'),
    },
    {
      store: 'published-statistics',
      holds: msg(
        `この削除より前に公表された統計（stats バケット stats/）。個人データは含まず、当社の寄与には会社ごとに固定された係数（${factors.ja}）とセルのノイズがかかっています。`,
        `Statistics published before this deletion (stats bucket stats/). They hold no personal data; the company’s contributions carry its fixed company factor (${factors.en}) and cell noise.`,
      ),
      why: msg(
        '公表済みの匿名加工情報で、読者から回収できません。ノイズは毎回同じため、削除の前後のリリースを比べても当社の正確な値は分かりません（リリース監査で確認）。月ごとの増減の比は推定できます。この削除の後すぐに、当社を含まないリリースを開始します。',
        'Anonymised statistics already made public cannot be recalled from their readers. The noise is the same in every release, so comparing releases before and after this deletion does not give the company’s exact figures (the release audit checks it); how they changed from month to month can be estimated. A release without the company is started right after this certificate is written.',
      ),
      until: msg('保持（公表済み）。', 'Kept (published).'),
    },
    {
      store: 'user-accounts',
      holds: msg(
        '当社の利用者アカウント（Cognito）: サインイン用のメールアドレス、会社 ID 属性、MFA の登録。この削除で無効化し、セッションを終了しました。サインインはできません。個人データです。',
        'The company’s user accounts in the identity provider (Cognito): sign-in e-mail address, the company id attribute, MFA enrolment. This purge disabled them and ended their sessions: they cannot sign in. This is personal data.',
      ),
      why: msg(
        '台帳の操作者 ID が監査のためにアカウントと結び付くよう、削除ではなく無効化しています。アカウントの削除は運用者が契約に従って行います（docs/OPERATIONS.md）。',
        'Disabled, not deleted, so the actor ids in the ledger still resolve to an account for audit. Deleting the accounts is the operator’s step under the contract (docs/OPERATIONS.md).',
      ),
      until: msg('運用者が削除するまで。', 'Until an operator deletes them.'),
    },
    {
      store: 'table-backups',
      holds: msg(
        '削除したアップロード記録と許可（uploads テーブル）の、DynamoDB ポイントインタイムリカバリのバックアップ。',
        'The deleted upload records and grants (uploads table) in DynamoDB point-in-time recovery backups.',
      ),
      why: msg(
        '障害復旧用のバックアップで、個別に編集できません。',
        'Backups for disaster recovery, which cannot be edited item by item.',
      ),
      until: msg(
        `削除から ${TABLE_BACKUP_DAYS} 日後に自動で消えます。`,
        `Expire on their own ${TABLE_BACKUP_DAYS} days after the deletion.`,
      ),
    },
    {
      store: 'query-results',
      holds: msg(
        '管理者が admin ワークグループで実行した Athena クエリの結果（query-results バケット results/<ワークグループ>/）。当社の仮名加工情報を含むことがあります（会社用の results/tenant=<ID>/ は削除済み）。',
        'Results of Athena queries administrators ran in the admin workgroup (query-results bucket results/<workgroup>/), which may hold the company’s pseudonymised rows (its own results/tenant=<id>/ prefix is deleted).',
      ),
      why: msg(
        'クエリ結果は会社ごとに分かれていないため、期限で消えるまで残ります。',
        'Those results are not kept per company, so they stay until they expire.',
      ),
      until: msg(
        `作成から ${queryResultsDays} 日後に自動で消えます。`,
        `Expire on their own ${queryResultsDays} days after they were written.`,
      ),
    },
    {
      store: 'jobs',
      holds: msg(
        'この削除と、その後のリリースのジョブ記録（jobs テーブル）: 会社 ID、状態、件数。',
        'The job records of this purge and of the release after it (jobs table): the company id, states and counts.',
      ),
      why: msg('管理者がジョブの結果を確認するためです。', 'So administrators can follow the jobs’ outcome.'),
      until: msg(
        `依頼から ${JOB_RECORD_DAYS} 日後に自動で消えます。`,
        `Expire on their own ${JOB_RECORD_DAYS} days after they were requested.`,
      ),
    },
    {
      store: 'ingest-queue',
      holds: msg(
        '取り込み待ち、またはデッドレターキューにある S3 通知（ファイルのキーを含み、キーにはファイル名が含まれます）。',
        'S3 notifications still queued for ingestion or in its dead-letter queue (they name landing keys, which include file names).',
      ),
      why: msg(
        '届いたファイルを取り込むか削除するための通知です。処理されると消え、削除済みの会社宛ての通知はファイルを削除して終わります。',
        'They tell ingestion a file arrived; once handled they are gone, and for a purged company handling them deletes the file.',
      ),
      until: msg(
        '処理されるまで。デッドレターキューでは最長 14 日。',
        'Until handled; at most 14 days in the dead-letter queue.',
      ),
    },
    {
      store: 'logs',
      holds: msg(
        '各関数のログ: 会社 ID、アップロード ID、コードと件数（個人の値は含まず、マスク済み）。',
        "The functions' logs: company and upload ids, codes and counts (no personal values; redacted).",
      ),
      why: msg('運用と障害調査のためです。', 'Operations and incident investigation.'),
      until: msg(
        'ステージのログ保持期間（logRetentionDays）が過ぎると消えます。',
        "Expire after the stage's log retention (logRetentionDays).",
      ),
    },
  ];
}
