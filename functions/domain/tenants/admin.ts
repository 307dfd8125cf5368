import { actorOf, type Principal } from '../auth/principal.ts';
import { companyProfileSchema } from '../company.ts';
import {
  ConflictError,
  type FieldMessages,
  NotFoundError,
  parseRequestBody,
  ValidationError,
} from '../errors.ts';
import { msg } from '../i18n.ts';
import { appendLedger } from '../ledger/ledger.ts';
import { ConditionFailedError, type KeyStore, type Table } from '../ports/index.ts';
import * as z from '../zod.ts';
import {
  contractSchema,
  TENANTS_TABLE,
  type TenantRecord,
  tenantIdSchema,
  tenantRecordSchema,
} from './model.ts';
import { tenantsPage } from './rules.ts';

export interface TenantAdminPorts {
  readonly table: Table;
  readonly keys: KeyStore;
  readonly clock: () => Date;
}

const FIELDS = {
  tenantId: msg(
    'tenantId は英小文字・数字・ハイフンで 3〜63 文字にしてください（例: acme-kk）。',
    'tenantId must be 3–63 lowercase letters, digits or hyphens (e.g. acme-kk).',
  ),
  name: msg(
    'name に会社名を 1〜200 文字で指定してください。',
    'name must be the company name, 1 to 200 characters.',
  ),
  profile: msg(
    'profile は industry（JSIC 大分類 A〜T）、prefecture（01〜47）、sizeBand（1-4, 5-19, 20-49, 50-99, 100-299, 300+）を持つオブジェクトにしてください。',
    'profile must have industry (JSIC major group A–T), prefecture (01–47) and sizeBand (1-4, 5-19, 20-49, 50-99, 100-299, 300+).',
  ),
  'profile.industry': msg(
    'profile.industry は JSIC 大分類（A〜T）にしてください。',
    'profile.industry must be a JSIC major group, A to T.',
  ),
  'profile.prefecture': msg(
    'profile.prefecture は都道府県コード 01〜47 にしてください（例: 東京都は 13）。',
    'profile.prefecture must be a JIS prefecture code from 01 to 47 (e.g. 13 for Tokyo).',
  ),
  'profile.sizeBand': msg(
    'profile.sizeBand は 1-4, 5-19, 20-49, 50-99, 100-299, 300+ のいずれかにしてください。',
    'profile.sizeBand must be one of 1-4, 5-19, 20-49, 50-99, 100-299, 300+.',
  ),
  contract: msg(
    'contract は start（開始日）と任意の end（終了日）、retentionDaysAfterEnd（終了後の保存日数）を持つオブジェクトにしてください。',
    'contract must have start (a date), and optionally end (a date) and retentionDaysAfterEnd (days).',
  ),
  'contract.start': msg(
    'contract.start は 2026-04-01 の形式の日付にしてください。',
    'contract.start must be a date like 2026-04-01.',
  ),
  'contract.end': msg(
    'contract.end は 2027-03-31 の形式の日付（終了日を外すときは null）にしてください。',
    'contract.end must be a date like 2027-03-31 (null removes the end date).',
  ),
  'contract.retentionDaysAfterEnd': msg(
    'contract.retentionDaysAfterEnd は 0〜3650 の整数（日数）にしてください。',
    'contract.retentionDaysAfterEnd must be a whole number of days from 0 to 3650.',
  ),
  legalHold: msg('legalHold は true か false にしてください。', 'legalHold must be true or false.'),
} as const satisfies FieldMessages;

export const registerTenantSchema = z.strictObject({
  tenantId: tenantIdSchema,
  name: z.string().check(z.trim(), z.minLength(1), z.maxLength(200)),
  profile: companyProfileSchema,
  contract: contractSchema,
});

export const updateTenantSchema = z.strictObject({
  name: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(200))),
  profile: z.optional(companyProfileSchema),
  contract: z.optional(
    z.strictObject({
      start: z.optional(z.iso.date()),
      end: z.optional(z.nullable(z.iso.date())),
      retentionDaysAfterEnd: z.optional(z.nullable(z.int().check(z.gte(0), z.lte(3650)))),
    }),
  ),
  legalHold: z.optional(z.boolean()),
});

function parseBody<T>(schema: z.ZodMiniType<T>, body: unknown): T {
  return parseRequestBody(schema, body, FIELDS);
}

function checkContractDates(contract: TenantRecord['contract']) {
  if (contract.end !== undefined && contract.end < contract.start) {
    throw new ValidationError(
      msg(
        'contract.end は contract.start 以降の日付にしてください。',
        'contract.end must not be before contract.start.',
      ),
      'contract.end',
    );
  }
}

/**
 * Registers a company: its record (ACTIVE, no legal hold) and its pseudonymisation key. The caller
 * must already be authorised as an admin. ConflictError when the tenant id is taken.
 */
export async function registerTenant(
  ports: TenantAdminPorts,
  principal: Principal,
  body: unknown,
): Promise<TenantRecord> {
  const request = parseBody(registerTenantSchema, body);
  checkContractDates(request.contract);
  const now = ports.clock().toISOString();
  const record = tenantRecordSchema.parse({
    ...request,
    state: 'ACTIVE',
    legalHold: false,
    createdAt: now,
    updatedAt: now,
  });
  try {
    await ports.table.put(TENANTS_TABLE, record, { ifAbsent: 'tenantId' });
  } catch (error) {
    if (error instanceof ConditionFailedError) {
      throw new ConflictError(
        msg(
          `テナント ${record.tenantId} は既に登録されています。`,
          `Tenant ${record.tenantId} is already registered.`,
        ),
        'tenantId',
      );
    }
    throw error;
  }
  await ports.keys.create(record.tenantId);
  await appendLedger(ports, {
    action: 'tenant.registered',
    actor: actorOf(principal),
    tenantId: record.tenantId,
    details: {
      industry: record.profile.industry,
      prefecture: record.profile.prefecture,
      sizeBand: record.profile.sizeBand,
      contractStart: record.contract.start,
      contractEnd: record.contract.end ?? null,
    },
  });
  return record;
}

/**
 * Changes a tenant's name, profile, contract dates, retention or legal hold. Optimistic: the write
 * only lands if nobody changed the tenant since it was read. Legal-hold changes get their own
 * ledger entry.
 */
export async function updateTenant(
  ports: TenantAdminPorts,
  principal: Principal,
  tenantId: string,
  body: unknown,
): Promise<TenantRecord> {
  const change = parseBody(updateTenantSchema, body);
  const item = tenantIdSchema.safeParse(tenantId).success
    ? await ports.table.get(TENANTS_TABLE, { tenantId })
    : undefined;
  if (!item) {
    throw new NotFoundError(
      msg(
        `テナント ${tenantId.slice(0, 63)} は登録されていません。`,
        `Tenant ${tenantId.slice(0, 63)} is not registered.`,
      ),
      'tenantId',
    );
  }
  const current = tenantRecordSchema.parse(item);
  const contract: TenantRecord['contract'] = { ...current.contract };
  if (change.contract?.start !== undefined) contract.start = change.contract.start;
  if (change.contract?.end === null) delete contract.end;
  else if (change.contract?.end !== undefined) contract.end = change.contract.end;
  if (change.contract?.retentionDaysAfterEnd === null) delete contract.retentionDaysAfterEnd;
  else if (change.contract?.retentionDaysAfterEnd !== undefined)
    contract.retentionDaysAfterEnd = change.contract.retentionDaysAfterEnd;
  checkContractDates(contract);
  const now = ports.clock().toISOString();
  const next = tenantRecordSchema.parse({
    ...current,
    ...(change.name !== undefined ? { name: change.name } : {}),
    ...(change.profile !== undefined ? { profile: change.profile } : {}),
    ...(change.legalHold !== undefined ? { legalHold: change.legalHold } : {}),
    contract,
    updatedAt: now,
  });
  try {
    await ports.table.put(TENANTS_TABLE, next, { ifMatch: { updatedAt: current.updatedAt } });
  } catch (error) {
    if (error instanceof ConditionFailedError) {
      throw new ConflictError(
        msg(
          'テナントが同時に更新されました。最新の内容を確認してやり直してください。',
          'The tenant changed meanwhile: read it again and retry.',
        ),
        'tenantId',
      );
    }
    throw error;
  }
  const changed = Object.keys(change).flatMap((field) =>
    field === 'contract' ? Object.keys(change.contract ?? {}).map((f) => `contract.${f}`) : [field],
  );
  await appendLedger(ports, {
    action: 'tenant.updated',
    actor: actorOf(principal),
    tenantId,
    details: {
      changed,
      contractStart: next.contract.start,
      contractEnd: next.contract.end ?? null,
      retentionDaysAfterEnd: next.contract.retentionDaysAfterEnd ?? null,
    },
  });
  if (change.legalHold !== undefined && change.legalHold !== current.legalHold) {
    await appendLedger(ports, {
      action: 'tenant.legal_hold_changed',
      actor: actorOf(principal),
      tenantId,
      details: { legalHold: change.legalHold },
    });
  }
  return next;
}

/** What `GET /admin/tenants` shows of a tenant: the record without the purge's internal checkpoint. */
export type TenantListing = Omit<TenantRecord, 'purge'> & {
  readonly purge?: Omit<NonNullable<TenantRecord['purge']>, 'checkpoint'>;
};

export const TENANT_LIST_LIMIT_MAX = 100;

/**
 * Every registered company, a page at a time (`limit` 1–100, default 50), for an operator; the caller
 * must already be authorised as an admin. Tenant records hold no personal data (a company name, its
 * profile and contract). The cursor is the last tenant id of the previous page. A page may hold fewer
 * than `limit` tenants while a `cursor` says more remain (a DynamoDB scan reads `limit` items).
 */
export async function listTenants(
  ports: Pick<TenantAdminPorts, 'table'>,
  options: { readonly limit?: number | undefined; readonly cursor?: string | undefined } = {},
): Promise<{ readonly tenants: TenantListing[]; readonly cursor?: string }> {
  const limit = Math.max(1, Math.min(options.limit ?? 50, TENANT_LIST_LIMIT_MAX));
  if (options.cursor !== undefined && !tenantIdSchema.safeParse(options.cursor).success) {
    throw new ValidationError(
      msg(
        'cursor が正しくありません。前のページの cursor をそのまま指定してください。',
        'cursor is not valid: pass the cursor of the previous page unchanged.',
      ),
      'cursor',
    );
  }
  const page = await tenantsPage(ports.table, {
    limit,
    cursor: options.cursor === undefined ? undefined : { tenantId: options.cursor },
  });
  const tenants = page.tenants
    .map(({ purge, ...tenant }): TenantListing => {
      if (!purge) return tenant;
      const { checkpoint: _checkpoint, ...shown } = purge;
      return { ...tenant, purge: shown };
    })
    .sort((a, b) => (a.tenantId < b.tenantId ? -1 : a.tenantId > b.tenantId ? 1 : 0));
  const next = page.cursor?.tenantId;
  return { tenants, ...(typeof next === 'string' ? { cursor: next } : {}) };
}
