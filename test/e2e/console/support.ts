import { type Browser, chromium, type Page } from 'playwright-core';
import { targetFromLocalState } from '../../../cli/target.ts';
import { backendOf } from '../../../console/api/backend.ts';
import { type ConsoleServer, startConsole } from '../../../console/server.ts';
import type { Deps } from '../../../core/deps.ts';
import type { CliEnv } from '../cli/harness.ts';

/** Debian's Chromium (`.ci/run` installs it when missing), driven headless by playwright-core. */
export const CHROMIUM = '/usr/bin/chromium';

export interface ConsoleSession {
  readonly server: ConsoleServer;
  readonly deps: Deps;
  readonly browser: Browser;
  readonly page: Page;
  /** Open a view (`#/jobs/x`) in the page; the first visit carries the token, as the printed URL does. */
  open(hash?: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The console served in this process over a CLI env's local mode (the same target `batchkeeper console --local`
 * builds), and one headless Chromium page on it.
 */
export async function openConsole(env: CliEnv): Promise<ConsoleSession> {
  const target = targetFromLocalState(env.mode.state);
  const server = await startConsole({ backend: backendOf(target) });
  const browser = await chromium.launch({ executablePath: CHROMIUM });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  let first = true;
  return {
    server,
    deps: target.deps,
    browser,
    page,
    async open(hash = '#/') {
      if (first) {
        first = false;
        await page.goto(`${server.url}${hash}`);
      } else {
        await page.goto(`http://127.0.0.1:${server.port}/${hash}`);
      }
    },
    async stop() {
      await browser.close();
      await server.close();
    },
  };
}
