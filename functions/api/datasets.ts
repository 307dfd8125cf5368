import { csvTemplate, DATASET_NAMES, getDataset } from '../domain/catalog/index.ts';
import { isPersonal } from '../domain/masking/policy.ts';

/**
 * The dataset catalogue as GET /datasets shows it: what each dataset holds, its columns with their
 * Japanese and English headers, privacy classes, and a CSV template in each language.
 */
export function datasetCatalogue() {
  return {
    datasets: DATASET_NAMES.map(getDataset).map((dataset) => ({
      name: dataset.name,
      ja: dataset.ja,
      description: dataset.description,
      personal: dataset.personal,
      consentRequired: dataset.personal,
      uploadedBy: dataset.uploadedBy,
      maxFileBytes: dataset.maxFileBytes,
      columns: dataset.columns.map((column) => ({
        name: column.name,
        headers: { ja: column.ja, en: column.name },
        aliases: column.aliases,
        description: column.description,
        type: column.type,
        required: column.required,
        privacy: column.privacy,
        personal: isPersonal(column.privacy),
        ...(column.values ? { values: column.values.map(({ value, ja, en }) => ({ value, ja, en })) } : {}),
        ...(column.min !== undefined ? { min: column.min } : {}),
        ...(column.max !== undefined ? { max: column.max } : {}),
        ...(column.maxLength !== undefined ? { maxLength: column.maxLength } : {}),
      })),
      templates: { ja: csvTemplate(dataset, 'ja'), en: csvTemplate(dataset, 'en') },
    })),
  };
}
