/**
 * Bilingual messages. Every user-facing message is a `{ ja, en }` pair chosen at the edge
 * (HTTP: `Accept-Language`; CLI: `--lang` or `LANG`), so domain code never picks a language.
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

/** The language of a POSIX locale such as `LANG=ja_JP.UTF-8` (English for anything but Japanese). */
export function langFromLocale(locale: string | undefined): Lang {
  if (!locale) return DEFAULT_LANG;
  return locale.toLowerCase().startsWith('ja') ? 'ja' : 'en';
}

/** The message text in one language. */
export const pick = (message: Message, lang: Lang): string => message[lang];
