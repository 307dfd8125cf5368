import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { renderTable } from '../../../local/cli/table.ts';
import { generateCompanies, generateEmployees } from '../../../local/synthetic/generate.ts';
import { generateOrganisation, generatePublicStatistics } from '../../../local/synthetic/organisation.ts';
import { demoFileBytes, demoPlan, writeDemoFile } from '../../../local/synthetic/plan.ts';
import { writePlanFiles } from '../../../local/synthetic/write.ts';

describe('demo plan', () => {
  it('is reproducible: the same seed gives the same companies and the same bytes', () => {
    // Act
    const [a, b] = [demoPlan({ companies: 4 }), demoPlan({ companies: 4 })];

    // Assess
    expect(a.companies).toEqual(b.companies);
    expect(a.files.map((f) => demoFileBytes(f).toString('base64'))).toEqual(
      b.files.map((f) => demoFileBytes(f).toString('base64')),
    );
  });

  it('writes some files as real exports do: Shift_JIS, Japanese headers, era dates', () => {
    // Prepare
    const plan = demoPlan({ companies: 8 });

    // Act
    const sjisEmployees = plan.files.filter(
      (f) => f.dataset === 'employees' && f.style.encoding === 'sjis' && f.style.dates === 'era',
    );
    const text = sjisEmployees.map((f) => iconv.decode(demoFileBytes(f), 'cp932'));

    // Assess
    expect(sjisEmployees.length).toBeGreaterThan(0);
    for (const csv of text) {
      expect(csv.split('\r\n')[0]).toMatch(/[\u3040-\u30ff\u4e00-\u9fff]/);
      expect(csv).toMatch(/(令和|平成|昭和)(元|\d+)年\d+月\d+日/);
    }
  });

  it('sends every dataset for every company, spoils a few rows and adds one file to be rejected', () => {
    // Act
    const plan = demoPlan({ companies: 8 });

    // Assess
    for (const company of plan.companies) {
      expect(
        plan.files.filter((f) => f.tenantId === company.tenantId && !f.broken).map((f) => f.dataset),
      ).toEqual(['employees', 'attendance', 'payroll', 'organization', 'sales']);
    }
    expect(plan.files.filter((f) => (f.style.badRows ?? 0) > 0).length).toBeGreaterThan(0);
    expect(plan.files.filter((f) => f.broken)).toHaveLength(1);
  });

  it('concentrates demo companies over the focus industries and prefectures, and not without focus', () => {
    // Act
    const focused = demoPlan({
      companies: 9,
      focus: { industries: ['E', 'I', 'P'], prefectures: ['13', '27', '23'] },
    });
    const national = demoPlan({ companies: 60, focus: null });

    // Assess
    const pairs = new Set(focused.companies.map((c) => `${c.profile.industry}/${c.profile.prefecture}`));
    expect(pairs.size).toBe(9);
    expect(new Set(national.companies.map((c) => c.profile.prefecture)).size).toBeGreaterThan(3);
  });

  it('streams a file to disk with exactly the bytes of the in-memory file', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'kura-synthetic-'));
    const file = demoPlan({ companies: 1 }).files.find((f) => f.dataset === 'attendance');
    if (!file) throw new Error('no attendance file');

    // Act
    await writeDemoFile(join(dir, 'attendance.csv'), file);
    const written = await readFile(join(dir, 'attendance.csv'));
    await rm(dir, { recursive: true, force: true });

    // Assess
    expect(written.equals(demoFileBytes(file))).toBe(true);
  });
});

describe('writePlanFiles', () => {
  it('writes every file of a plan under its company and a manifest naming them', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'kura-plan-'));
    const plan = demoPlan({ companies: 2, focus: null });

    // Act
    const paths = await writePlanFiles(plan, dir);
    const manifest = JSON.parse(await readFile(join(dir, 'plan.json'), 'utf8'));
    const first = plan.files[0];
    const firstBytes = await readFile(paths[0] ?? '');
    await rm(dir, { recursive: true, force: true });

    // Assess
    expect(paths).toHaveLength(plan.files.length);
    expect(manifest.files.map((f: { path: string }) => f.path)).toEqual(paths);
    expect(paths[0]).toContain(join(dir, first?.tenantId ?? '?'));
    expect(first && firstBytes.equals(demoFileBytes(first))).toBe(true);
  });
});

describe('organisation and public statistics generators', () => {
  it('builds a chart whose departments add up to the current headcount', () => {
    // Prepare
    const company = generateCompanies(1, 5)[0];
    if (!company) throw new Error('no company');
    const employees = generateEmployees(company);

    // Act
    const [head, ...departments] = generateOrganisation(company, employees);

    // Assess
    const current = employees.filter((e) => e.termination_date === undefined).length;
    expect(head?.headcount).toBe(current);
    expect(departments.reduce((n, d) => n + d.headcount, 0)).toBe(current);
    expect(departments.every((d) => d.parent_code === head?.department_code)).toBe(true);
  });

  it('gives every prefecture twelve months of each indicator', () => {
    // Act
    const rows = [...generatePublicStatistics()];

    // Assess
    expect(rows).toHaveLength(47 * 3 * 12);
    expect(new Set(rows.map((r) => r.area_code)).size).toBe(47);
  });
});

describe('CLI tables', () => {
  it('aligns columns holding Japanese text by display width', () => {
    // Act
    const lines = renderTable(
      ['名前', 'n'],
      [
        ['従業員', 1],
        ['ab', 22],
      ],
    ).split('\n');

    // Assess
    const column = (line: string) => {
      let width = 0;
      for (const char of line.slice(0, line.lastIndexOf(' ') + 1))
        width += /[\u3000-\u9fff]/.test(char) ? 2 : 1;
      return width;
    };
    expect(new Set(lines.map(column)).size).toBe(1);
  });
});
