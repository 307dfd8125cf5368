/**
 * Bilingual messages. Every user-facing message is a `{ ja, en }` pair chosen at the edge
 * (HTTP: `Accept-Language`; CLI: `--lang`, else `langFromEnvironment`), so domain code never picks a language.
 */
export const LANGUAGES = ['ja', 'en'] as const;
export type Lang = (typeof LANGUAGES)[number];

export interface Message {
  readonly ja: string;
  readonly en: string;
}

/** Builds a message; a helper so call sites read `msg('…', '…')`. */
export const msg = (ja: string, en: string): Message => ({ ja, en });

/** Kura serves Japanese companies first: Japanese unless the caller prefers English. */
export const DEFAULT_LANG: Lang = 'ja';

/**
 * The language an `Accept-Language` header prefers among ja and en (q-values honoured).
 * @example langFromAcceptLanguage('en-US,en;q=0.9,ja;q=0.8') // 'en'
 */
export function langFromAcceptLanguage(header: string | undefined | null): Lang {
  if (!header) return DEFAULT_LANG;
  const ranked = header
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      const quality = q ? Number.parseFloat(q.slice(2)) : 1;
      return {
        base: tag.trim().toLowerCase().split('-')[0],
        quality: Number.isNaN(quality) ? 0 : quality,
        index,
      };
    })
    .filter((entry) => entry.quality > 0)
    .sort((a, b) => b.quality - a.quality || a.index - b.index);
  for (const entry of ranked) {
    if (entry.base === 'ja' || entry.base === 'en') return entry.base;
  }
  return DEFAULT_LANG;
}

/**
 * The language a POSIX locale names, if it names Japanese or English (`ja_JP.UTF-8`, `en_US`, `en`);
 * undefined for a locale that names no language of Kura's (`C`, `C.UTF-8`, `POSIX`, `fr_FR`) or none.
 */
export function langFromLocale(locale: string | undefined): Lang | undefined {
  const language = locale
    ?.trim()
    .toLowerCase()
    .split(/[_.@-]/)[0];
  return language === 'ja' || language === 'en' ? language : undefined;
}

/** Thrown when `KURA_LANG` is set to something other than `ja` or `en`. */
export class UnknownLanguageError extends Error {
  override readonly name = 'UnknownLanguageError';
  readonly userMessage: Message;
  constructor(value: string) {
    const shown = value.slice(0, 20);
    super(`KURA_LANG must be ja or en, not "${shown}".`);
    this.userMessage = msg(
      `KURA_LANG には ja か en を指定してください（指定値: "${shown}"）。`,
      `KURA_LANG must be ja or en, not "${shown}".`,
    );
  }
}

/**
 * The language of the command line and `npm start` when `--lang` is not given. In order: `KURA_LANG`
 * (ja or en); the locale, only where it names Japanese or English (the first set of `LC_ALL`,
 * `LC_MESSAGES`, `LANG`, as POSIX orders them); otherwise Japanese. So `LANG=C.UTF-8` (a container's
 * default) keeps Japanese, and `LANG=en_US.UTF-8` asks for English.
 * @example langFromEnvironment({ LANG: 'C.UTF-8' }) // 'ja'
 */
export function langFromEnvironment(env: Readonly<Record<string, string | undefined>>): Lang {
  const chosen = env.KURA_LANG?.trim();
  if (chosen) {
    if (chosen === 'ja' || chosen === 'en') return chosen;
    throw new UnknownLanguageError(chosen);
  }
  const locale = [env.LC_ALL, env.LC_MESSAGES, env.LANG].find((value) => value !== undefined && value !== '');
  return langFromLocale(locale) ?? DEFAULT_LANG;
}

/** The message text in one language. */
export const pick = (message: Message, lang: Lang): string => message[lang];
