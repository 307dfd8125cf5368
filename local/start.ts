import { langFromLocale } from '../functions/domain/i18n.ts';
import { DEFAULT_PORTS, startLocalPlatform } from './platform.ts';

/**
 * `npm start`: the whole platform in this process on 127.0.0.1 until Ctrl+C.
 * KURA_PORT (API port, default 8787) and KURA_DATA_DIR (default .kura-data) override the defaults.
 */
async function main() {
  const lang = langFromLocale(process.env.LANG);
  const port = process.env.KURA_PORT ? Number.parseInt(process.env.KURA_PORT, 10) : DEFAULT_PORTS.api;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`KURA_PORT must be a port number (0–65535), got "${process.env.KURA_PORT}"`);
  }
  const platform = await startLocalPlatform({ dataDir: process.env.KURA_DATA_DIR ?? '.kura-data', port });
  const dataFlag = process.env.KURA_DATA_DIR ? ` --data-dir ${process.env.KURA_DATA_DIR}` : '';
  const lines =
    lang === 'ja'
      ? [
          `Kura ローカル環境を起動しました（データ: ${platform.dataDir}）`,
          `  API:      ${platform.apiUrl}`,
          `  S3:       ${platform.s3Url}`,
          `  DynamoDB: ${platform.dynamoUrl}`,
          platform.seeded.length > 0
            ? `  デモ会社を登録しました: ${platform.seeded.join(', ')}`
            : '  デモ会社: demo-a, demo-b',
          'トークンの取得（別のターミナルで）:',
          `  TOKEN=$(node bin/kura.js token --tenant demo-a${dataFlag})`,
          `  curl -H "Authorization: Bearer $TOKEN" ${platform.apiUrl}/datasets`,
          `  管理者: node bin/kura.js token --role admin${dataFlag}`,
          '終了: Ctrl+C',
        ]
      : [
          `Kura local platform is running (data: ${platform.dataDir})`,
          `  API:      ${platform.apiUrl}`,
          `  S3:       ${platform.s3Url}`,
          `  DynamoDB: ${platform.dynamoUrl}`,
          platform.seeded.length > 0
            ? `  Registered demo companies: ${platform.seeded.join(', ')}`
            : '  Demo companies: demo-a, demo-b',
          'Get a token (in another terminal):',
          `  TOKEN=$(node bin/kura.js token --tenant demo-a${dataFlag})`,
          `  curl -H "Authorization: Bearer $TOKEN" ${platform.apiUrl}/datasets`,
          `  Administrator: node bin/kura.js token --role admin${dataFlag}`,
          'Stop: Ctrl+C',
        ];
  console.log(lines.join('\n'));

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(
      lang === 'ja' ? `\n${signal} を受け取りました。停止しています…` : `\n${signal} received, stopping…`,
    );
    platform
      .stop()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        console.error(error);
        process.exit(1);
      });
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
