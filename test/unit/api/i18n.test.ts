import { describe, expect, it } from 'vitest';
import { langFromAcceptLanguage, langFromLocale } from '../../../functions/domain/i18n.ts';

describe('language choice', () => {
  it.each([
    [undefined, 'ja'],
    ['', 'ja'],
    ['en', 'en'],
    ['en-US,en;q=0.9,ja;q=0.8', 'en'],
    ['ja-JP,ja;q=0.9,en-US;q=0.8', 'ja'],
    ['fr-FR,en;q=0.5,ja;q=0.7', 'ja'],
    ['ja;q=0,en', 'en'],
    ['de', 'ja'],
  ])('reads Accept-Language %j as %s', (header, lang) => {
    // Act
    const chosen = langFromAcceptLanguage(header);

    // Assess
    expect(chosen).toBe(lang);
  });

  it.each([
    ['ja_JP.UTF-8', 'ja'],
    ['en_US.UTF-8', 'en'],
    ['C', 'en'],
    [undefined, 'ja'],
  ])('reads LANG %j as %s', (locale, lang) => {
    // Act
    const chosen = langFromLocale(locale);

    // Assess
    expect(chosen).toBe(lang);
  });
});
