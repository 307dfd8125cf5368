import { describe, expect, it } from 'vitest';
import { parseDate, parseMonth } from '../../../functions/domain/japanese/era.ts';

describe('parseDate', () => {
  it.each([
    ['令和5年4月1日', '2023-04-01'],
    ['R5.4.1', '2023-04-01'],
    ['r5.4.1', '2023-04-01'],
    ['R5/4/1', '2023-04-01'],
    ['令和元年5月1日', '2019-05-01'],
    ['令和 元年 5月 1日', '2019-05-01'],
    ['平成31年4月30日', '2019-04-30'],
    ['H31.4.30', '2019-04-30'],
    ['平成元年1月8日', '1989-01-08'],
    ['昭和64年1月7日', '1989-01-07'],
    ['S60.1.2', '1985-01-02'],
    ['大正15年12月25日', '1926-12-25'],
    ['2023/4/1', '2023-04-01'],
    ['2023-04-01', '2023-04-01'],
    ['2023.4.1', '2023-04-01'],
    ['2023年4月1日', '2023-04-01'],
    ['20230401', '2023-04-01'],
    ['2023/4/1 0:00', '2023-04-01'],
    ['2023-04-01 00:00:00', '2023-04-01'],
    ['2024/2/29', '2024-02-29'],
  ])('reads %s as %s', (text, iso) => {
    // Act
    const parsed = parseDate(text);

    // Assess
    expect(parsed).toEqual({ ok: true, iso });
  });

  it.each([
    ['平成31年5月1日', 'ERA_MISMATCH'],
    ['昭和64年1月8日', 'ERA_MISMATCH'],
    ['令和元年4月30日', 'ERA_MISMATCH'],
    ['平成元年1月7日', 'ERA_MISMATCH'],
    ['2023/2/30', 'INVALID_DATE'],
    ['2023/2/29', 'INVALID_DATE'],
    ['令和5年2月30日', 'INVALID_DATE'],
    ['令和0年5月1日', 'INVALID_DATE'],
    ['元年5月1日', 'INVALID_DATE'],
    ['23/4/1', 'INVALID_DATE'],
    ['2023/13/1', 'INVALID_DATE'],
    ['明日', 'INVALID_DATE'],
    ['20231301', 'INVALID_DATE'],
    ['1899/12/31', 'OUT_OF_RANGE'],
    ['2100/1/1', 'OUT_OF_RANGE'],
  ])('refuses %s with %s', (text, code) => {
    // Act
    const parsed = parseDate(text);

    // Assess
    expect(parsed).toEqual({ ok: false, code });
  });
});

describe('parseMonth', () => {
  it.each([
    ['2023/4', '2023-04'],
    ['2023-04', '2023-04'],
    ['2023年4月', '2023-04'],
    ['令和5年4月', '2023-04'],
    ['R5.4', '2023-04'],
    ['202304', '2023-04'],
    ['2023/4/1', '2023-04'],
    ['平成31年4月', '2019-04'],
    ['令和元年5月', '2019-05'],
    ['昭和64年1月', '1989-01'],
    ['平成元年1月', '1989-01'],
  ])('reads %s as %s', (text, month) => {
    // Act
    const parsed = parseMonth(text);

    // Assess
    expect(parsed).toEqual({ ok: true, month });
  });

  it.each([
    ['平成31年5月', 'ERA_MISMATCH'],
    ['令和元年4月', 'ERA_MISMATCH'],
    ['2023/13', 'INVALID_DATE'],
    ['2023/2/30', 'INVALID_DATE'],
  ])('refuses %s with %s', (text, code) => {
    // Act
    const parsed = parseMonth(text);

    // Assess
    expect(parsed).toEqual({ ok: false, code });
  });
});
