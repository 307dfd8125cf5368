/** Headers that name an identification code Kura never stores (My Number and the other 個人識別符号). */
/**
 * Words that name My Number wherever they appear in a header (after normaliseHeader):
 * 個人番号（マイナンバー）, マイナンバー(12桁), 従業員マイナンバー, My Number.
 */
export const MY_NUMBER_HEADER_WORDS: readonly string[] = [
  'マイナンバー',
  '個人番号',
  'mynumber',
  'individualnumber',
];

/**
 * Headers that name an individual identification code (個人識別符号). Kura never stores these:
 * an upload whose header has one is refused with a message asking the user to remove the column.
 */
export const IDENTIFICATION_CODE_HEADERS: ReadonlyArray<{ readonly header: string; readonly kind: string }> =
  [
    ...['マイナンバー', '個人番号', 'my_number', 'mynumber', 'individual_number'].map((header) => ({
      header,
      kind: 'My Number',
    })),
    ...['旅券番号', 'パスポート番号', 'passport_number', 'passport_no'].map((header) => ({
      header,
      kind: 'passport number',
    })),
    ...['運転免許証番号', '免許証番号', 'drivers_license_number', 'driver_license_number'].map((header) => ({
      header,
      kind: "driver's licence number",
    })),
    ...['基礎年金番号', 'basic_pension_number', 'pension_number'].map((header) => ({
      header,
      kind: 'basic pension number',
    })),
    ...[
      '被保険者番号',
      '健康保険被保険者番号',
      '健康保険証番号',
      '保険者番号',
      'health_insurance_number',
      'insured_number',
    ].map((header) => ({ header, kind: 'health insurance number' })),
    ...['在留カード番号', 'residence_card_number'].map((header) => ({
      header,
      kind: 'residence card number',
    })),
  ];
