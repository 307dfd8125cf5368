import { describe, expect, it } from 'vitest';
import {
  langFromAcceptLanguage,
  langFromEnvironment,
  UnknownLanguageError,
} from '../../../functions/domain/i18n.ts';

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
    [{}, 'ja'],
    [{ LANG: 'C.UTF-8' }, 'ja'],
    [{ LANG: 'C' }, 'ja'],
    [{ LANG: 'POSIX' }, 'ja'],
    [{ LANG: 'fr_FR.UTF-8' }, 'ja'],
    [{ LANG: 'ja_JP.UTF-8' }, 'ja'],
    [{ LANG: 'en_US.UTF-8' }, 'en'],
    [{ LANG: 'en' }, 'en'],
    [{ LANG: 'ja_JP.UTF-8', LC_ALL: 'en_GB.UTF-8' }, 'en'],
    [{ LANG: 'en_US.UTF-8', LC_MESSAGES: 'ja_JP.UTF-8' }, 'ja'],
    [{ LANG: 'en_US.UTF-8', LC_ALL: '' }, 'en'],
    [{ LANG: 'en_US.UTF-8', KURA_LANG: 'ja' }, 'ja'],
    [{ LANG: 'C.UTF-8', KURA_LANG: 'en' }, 'en'],
  ])('chooses %j as %s for the command line', (env, lang) => {
    // Act
    const chosen = langFromEnvironment(env);

    // Assess
    expect(chosen).toBe(lang);
  });

  it('refuses a KURA_LANG that is neither ja nor en, saying so in both languages', () => {
    // Act
    const choose = () => langFromEnvironment({ KURA_LANG: 'fr' });

    // Assess
    expect(choose).toThrow(UnknownLanguageError);
    expect(choose).toThrow(/KURA_LANG must be ja or en/);
  });
});
