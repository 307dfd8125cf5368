/**
 * The column table of docs/PRIVACY.md, rendered from the dataset catalogue and the masking policy, so
 * the document cannot drift from the code. Regenerate with:
 *   npx tsx -e "import('./test/unit/docs/privacy-table.ts').then((m) => console.log(m.privacyTable()))"
 */
import { DATASET_NAMES, getDataset } from '../../../functions/domain/catalog/index.ts';
import {
  anonymisedAction,
  pseudonymisedAction,
  supportMaskOf,
} from '../../../functions/domain/masking/policy.ts';

export const TABLE_START =
  '<!-- privacy-table:start (generated from the catalogue; checked by test/unit/docs) -->';
export const TABLE_END = '<!-- privacy-table:end -->';

const PSEUDONYMISED_TEXT = { remove: 'removed', tokenise: 'HMAC token', keep: 'kept' } as const;

function anonymisedText(action: ReturnType<typeof anonymisedAction>): string {
  switch (action.kind) {
    case 'remove':
      return 'removed';
    case 'keep':
      return 'kept';
    case 'top_code':
      return `top-coded above ${action.topCode}`;
    case 'generalise':
      return action.generalise === 'drop' ? 'removed' : `generalised (${action.generalise})`;
  }
}

/** One Markdown table per dataset: column, Japanese header, class, and what each zone and support see. */
export function privacyTable(): string {
  const sections: string[] = [];
  for (const name of DATASET_NAMES) {
    const dataset = getDataset(name);
    const who =
      dataset.uploadedBy === 'tenant' ? 'uploaded by the company' : 'uploaded by a supporting organisation';
    const personal = dataset.personal
      ? 'personal data (consent attestation required)'
      : 'not about individuals';
    sections.push(
      `#### \`${name}\` — ${dataset.ja} (${dataset.description.en}; ${who}; ${personal})`,
      '',
      '| column | 見出し | class | raw | pseudonymised | anonymised | support view |',
      '|---|---|---|---|---|---|---|',
      ...dataset.columns.map(
        (column) =>
          `| \`${column.name}\` | ${column.ja} | ${column.privacy} | kept | ${PSEUDONYMISED_TEXT[pseudonymisedAction(column)]} | ${anonymisedText(anonymisedAction(column))} | ${supportMaskOf(column)} |`,
      ),
      '',
    );
  }
  return `${TABLE_START}\n\n${sections.join('\n')}${TABLE_END}`;
}
