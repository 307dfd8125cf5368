import {
  approveGrant,
  exportUnderGrant,
  getTenantUpload,
  listGrants,
  listTenantUploads,
  readTenantUploadRows,
  refuseGrant,
  requestGrant,
  revokeGrant,
} from '../domain/platform-support/index.ts';
import type { Route } from './route.ts';

const numberOf = (raw: string | undefined) => {
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  return Number.isFinite(value) ? value : Number.NaN;
};

/**
 * Support access (issue 11). Role checks live in functions/domain/platform-support: support routes need the
 * `support` role, grant decisions a `tenant` user of the grant's own tenant. Every route here also
 * sweeps the tenant's expired grants first (see sweepExpiredSupportGrants).
 */
export const SUPPORT_ROUTES: Readonly<Record<string, Route>> = {
  'GET /support/tenants/{tenantId}/uploads': {
    requires: 'signed-in',
    handle: (c) =>
      listTenantUploads(c.ports, c.principal, c.path('tenantId'), {
        limit: numberOf(c.query('limit')),
        cursor: c.query('cursor'),
      }),
  },
  'GET /support/tenants/{tenantId}/uploads/{uploadId}': {
    requires: 'signed-in',
    handle: (c) => getTenantUpload(c.ports, c.principal, c.path('tenantId'), c.path('uploadId')),
  },
  'GET /support/tenants/{tenantId}/uploads/{uploadId}/rows': {
    requires: 'signed-in',
    handle: (c) =>
      readTenantUploadRows(c.ports, c.principal, c.path('tenantId'), c.path('uploadId'), {
        offset: numberOf(c.query('offset')),
        limit: numberOf(c.query('limit')),
      }),
  },
  'POST /support/grants': {
    requires: 'signed-in',
    status: 201,
    handle: (c) => requestGrant(c.ports, c.principal, c.body()),
  },
  'GET /support/grants': {
    requires: 'signed-in',
    handle: (c) => listGrants(c.ports, c.principal, { tenantId: c.query('tenantId') }),
  },
  'POST /support/grants/{grantId}/approve': {
    requires: 'tenant-member',
    handle: (c) => approveGrant(c.ports, c.principal, c.path('grantId'), c.optionalBody()),
  },
  'POST /support/grants/{grantId}/refuse': {
    requires: 'tenant-member',
    handle: (c) => refuseGrant(c.ports, c.principal, c.path('grantId'), c.optionalBody()),
  },
  'POST /support/grants/{grantId}/revoke': {
    requires: 'tenant-member',
    handle: (c) => revokeGrant(c.ports, c.principal, c.path('grantId'), c.optionalBody()),
  },
  'POST /support/grants/{grantId}/exports': {
    requires: 'signed-in',
    status: 201,
    handle: (c) => exportUnderGrant(c.ports, c.principal, c.path('grantId'), c.body()),
  },
};
