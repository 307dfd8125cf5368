/**
 * `npm start`: the whole platform in this process on 127.0.0.1. On the first start in a data folder
 * it seeds the demo (companies, their files through the real upload path, a statistics release) and
 * prints a summary; then it serves the API and the preview page until Ctrl+C.
 * `npm start -- --once` does the same, then exits: 0 when everything succeeded, 1 otherwise.
 * KURA_PORT (API port, default 8787), KURA_DATA_DIR (default .kura-data) and KURA_DEMO_COMPANIES
 * (default 24) override the defaults.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

// The handlers log through Powertools at INFO in Lambda; a terminal only wants warnings. Set before the
// handlers' modules (and their loggers) load.
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
// Locally there is no CloudWatch to read the metrics (EMF lines) the handlers print.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
// The AWS SDK's notice that its 2027 versions need Node.js 22 is not for someone running the platform.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { langFromEnvironment, msg, pick, UnknownLanguageError } = await import('../functions/domain/i18n.ts');
const { DEFAULT_PORTS, localTmpDir, startLocalPlatform } = await import('./platform.ts');
const { DEMO_PHASES, demoSeeded, seedDemo } = await import('./demo/seed-demo.ts');
const { renderDemoSummary } = await import('./demo/summary.ts');
const { demoPlan } = await import('./synthetic/plan.ts');

function positiveInt(name: string, raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = Number.parseInt(raw, 10);
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new Error(`${name} must be a whole number from 0 to ${max}, got "${raw}"`);
  }
  return value;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { once: { type: 'boolean', default: false }, 'no-seed': { type: 'boolean', default: false } },
  });
  const lang = langFromEnvironment(process.env);
  const port = positiveInt('KURA_PORT', process.env.KURA_PORT, DEFAULT_PORTS.api, 65_535);
  const companies = positiveInt('KURA_DEMO_COMPANIES', process.env.KURA_DEMO_COMPANIES, 24, 5000);
  const dataDir = process.env.KURA_DATA_DIR ?? '.kura-data';
  // Every work file of this process (decoded uploads, DuckDB spill and statistics folders) goes under
  // the data folder, which the next start empties: a crash leaves nothing behind for long.
  process.env.TMPDIR = localTmpDir(resolve(dataDir));
  // Ctrl+C or SIGTERM stops gracefully: the upload or job being processed finishes, the rest waits on
  // disk for the next start (local/durable-queue.ts). A second signal stops at once. The handlers are
  // in place before the platform starts, since it announces itself (platform.json) while starting: a
  // signal that arrives meanwhile stops it once it has started, instead of killing it with code 130.
  const starting = startLocalPlatform({ dataDir, port });
  let stopping: Promise<void> | undefined;
  const stopped = new Promise<string>((resolveSignal) => {
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        console.error(pick(msg('強制終了します。', 'Stopping now.'), lang));
        process.exit(signal === 'SIGINT' ? 130 : 143);
      }
      console.log(
        pick(
          msg(
            `\n${signal} を受け取りました。処理中のものを終えてから停止します（残りは次回の起動で続けます）…`,
            `\n${signal} received: finishing what is in progress, then stopping (the rest continues at the next start)…`,
          ),
          lang,
        ),
      );
      stopping = starting.then(
        (platform) => platform.stop(),
        () => undefined,
      );
      resolveSignal(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    // `npm start` runs this under `sh -c`; a SIGTERM to npm ends npm and the shell but not this process,
    // which would go on serving, orphaned. When the process that started it goes away, stop as on SIGTERM.
    const parent = process.ppid;
    setInterval(() => {
      if (!stopping && process.ppid !== parent) {
        // Whoever read our output is gone with it: writing there must not end the process.
        for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
        onSignal('SIGTERM');
      }
    }, 500).unref();
  });
  const platform = await starting;
  if (stopping) {
    // Stopped while starting: nothing more to begin.
    await stopping;
    return 0;
  }
  if (platform.reconciled.migrationReleaseJob) {
    console.log(
      pick(
        msg(
          `以前のバージョンのデータフォルダです。以前の統計（${platform.reconciled.legacyReleases} 件）は現在の秘匿ルールで監査されていないため公開せず、同じデータから新しい統計を作成しています。`,
          `This data folder is from an earlier version: its ${platform.reconciled.legacyReleases} statistics release(s) were not audited under today's disclosure rules and stay unpublished; a new release is being built from the same data.`,
        ),
        lang,
      ),
    );
  }
  if (platform.reconciled.landedRedriven > 0 || platform.reconciled.jobsInterrupted > 0) {
    const { landedRedriven, jobsInterrupted } = platform.reconciled;
    console.log(
      pick(
        msg(
          `前回の停止で途中だったアップロード ${landedRedriven} 件を処理し直します。中断されたジョブ: ${jobsInterrupted} 件。`,
          `Taking up ${landedRedriven} upload(s) the last run left unfinished; ${jobsInterrupted} job(s) were interrupted.`,
        ),
        lang,
      ),
    );
  }
  const dataFlag = process.env.KURA_DATA_DIR ? ` --data-dir ${process.env.KURA_DATA_DIR}` : '';
  console.log(
    pick(
      msg(
        `Kura ローカル環境を起動しました（データ: ${platform.dataDir}）\n  API:        ${platform.apiUrl}\n  プレビュー: ${platform.previewUrl}\n  S3:         ${platform.s3Url}\n  DynamoDB:   ${platform.dynamoUrl}`,
        `Kura local platform is running (data: ${platform.dataDir})\n  API:      ${platform.apiUrl}\n  Preview:  ${platform.previewUrl}\n  S3:       ${platform.s3Url}\n  DynamoDB: ${platform.dynamoUrl}`,
      ),
      lang,
    ),
  );

  let ok = true;
  if (!values['no-seed'] && !(await demoSeeded(platform.dataDir))) {
    const started = Date.now();
    console.log(
      pick(
        msg(`デモデータを投入しています（${companies} 社）…`, `Seeding the demo (${companies} companies)…`),
        lang,
      ),
    );
    try {
      const summary = await seedDemo(platform, {
        plan: demoPlan({ companies }),
        onPhase: (phase) => console.log(`  ${pick(DEMO_PHASES[phase], lang)}…`),
        lang,
      });
      console.log(await renderDemoSummary(platform.ports.objects, summary, lang));
      console.log(
        pick(
          msg(
            `デモ投入にかかった時間: ${Math.round((Date.now() - started) / 1000)} 秒`,
            `Demo seeded in ${Math.round((Date.now() - started) / 1000)} s`,
          ),
          lang,
        ),
      );
      ok = summary.ok;
      if (!ok) {
        console.error(
          pick(
            msg(
              'デモの投入が計画どおりに終わりませんでした（上の結果を確認してください）。',
              'The demo did not come out as planned (see the outcomes above).',
            ),
            lang,
          ),
        );
      }
    } catch (error) {
      ok = false;
      // A stop requested mid-seed cuts the seed's requests off; the next start seeds again.
      if (!stopping) console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    }
  } else if (!values['no-seed']) {
    console.log(pick(msg('デモデータは投入済みです。', 'The demo is already seeded.'), lang));
  }

  if (stopping) {
    await stopping;
    return 0;
  }
  if (values.once) {
    await platform.stop();
    return ok ? 0 : 1;
  }
  console.log(
    pick(
      msg(
        `準備ができました。トークンの取得（別のターミナルで）:\n  TOKEN=$(npx kura token --tenant demo-0001${dataFlag})\n  curl -H "Authorization: Bearer $TOKEN" ${platform.apiUrl}/datasets\n  npx kura upload my.csv --dataset sales${dataFlag}\n終了: Ctrl+C`,
        `Ready. Get a token (in another terminal):\n  TOKEN=$(npx kura token --tenant demo-0001${dataFlag})\n  curl -H "Authorization: Bearer $TOKEN" ${platform.apiUrl}/datasets\n  npx kura upload my.csv --dataset sales${dataFlag}\nStop: Ctrl+C`,
      ),
      lang,
    ),
  );
  await stopped;
  await stopping;
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    // With KURA_LANG unreadable there is no language to choose: both.
    if (error instanceof UnknownLanguageError) {
      console.error(`${error.userMessage.ja}\n${error.userMessage.en}`);
      process.exit(2);
    }
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
