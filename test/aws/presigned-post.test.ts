/**
 * S3 enforces the presigned POST policy the API signs (local s3rver checks none of it): a file larger
 * than declared, another content type, another key or other bytes than the declared checksum are each
 * refused, and the ticket still works for the file it was made for.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { api, env, eventually } from './support.ts';

const csv = new TextEncoder().encode('年月,売上高\r\n2026-04,1000000\r\n2026-05,1200000\r\n');
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('base64');

interface Ticket {
  readonly uploadId: string;
  readonly key: string;
  readonly url: string;
  readonly fields: Record<string, string>;
}

async function requestTicket(): Promise<Ticket> {
  const { status, body } = await api(env.tenantToken, 'POST', '/uploads', {
    dataset: 'sales',
    fileName: 'aws-acceptance.csv',
    contentType: 'text/csv',
    sizeBytes: csv.length,
    sha256: sha256(csv),
  });
  expect(status, JSON.stringify(body)).toBe(201);
  return body as unknown as Ticket;
}

/** POSTs the form as a browser would: every field, then the file last. */
async function post(ticket: Ticket, file: Uint8Array, fieldChanges: Record<string, string> = {}) {
  const form = new FormData();
  for (const [name, value] of Object.entries({ ...ticket.fields, ...fieldChanges })) form.append(name, value);
  form.append(
    'file',
    new Blob([file], { type: fieldChanges['Content-Type'] ?? 'text/csv' }),
    'aws-acceptance.csv',
  );
  const response = await fetch(ticket.url, { method: 'POST', body: form });
  return { status: response.status, text: await response.text() };
}

describe('presigned POST policy on S3', () => {
  it('refuses a file larger than declared', async () => {
    // Prepare
    const ticket = await requestTicket();
    const larger = new Uint8Array(csv.length + 1024).fill(0x31);

    // Act
    const response = await post(ticket, larger);

    // Assess
    expect([400, 403]).toContain(response.status);
    expect(response.text).toMatch(/EntityTooLarge|AccessDenied|Policy/);
  });

  it('refuses another content type', async () => {
    // Prepare
    const ticket = await requestTicket();

    // Act
    const response = await post(ticket, csv, { 'Content-Type': 'application/pdf' });

    // Assess
    expect([400, 403]).toContain(response.status);
  });

  it('refuses another key, inside or outside the tenant prefix', async () => {
    // Prepare
    const ticket = await requestTicket();
    const otherTenant = ticket.key.replace(/^landing\/[^/]+\//, 'landing/some-other-tenant/');

    // Act
    const sibling = await post(ticket, csv, { key: `${ticket.key}.2` });
    const foreign = await post(ticket, csv, { key: otherTenant });

    // Assess
    expect([400, 403]).toContain(sibling.status);
    expect([400, 403]).toContain(foreign.status);
  });

  it('refuses bytes that do not match the declared checksum', async () => {
    // Prepare
    const ticket = await requestTicket();
    const tampered = csv.slice();
    tampered[tampered.length - 3] = 0x39; // same size, one digit changed

    // Act
    const response = await post(ticket, tampered);

    // Assess
    expect([400, 403]).toContain(response.status);
    expect(response.text).toMatch(/BadDigest|checksum|AccessDenied|Policy/i);
  });

  it('accepts the declared file, which ingestion then processes', async () => {
    // Prepare
    const ticket = await requestTicket();

    // Act
    const response = await post(ticket, csv);
    const processed = await eventually(
      async () => {
        const { body } = await api(env.tenantToken, 'GET', `/uploads/${ticket.uploadId}`);
        return ['ACCEPTED', 'PARTIALLY_ACCEPTED', 'REJECTED'].includes(String(body.status))
          ? body
          : undefined;
      },
      { attempts: 36, everyMs: 5_000, what: `upload ${ticket.uploadId} processed` },
    );

    // Assess
    expect([200, 201, 204]).toContain(response.status);
    expect(processed.status).toBe('ACCEPTED');
  });
});
