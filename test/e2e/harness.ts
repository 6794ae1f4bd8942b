// End-to-end harness: a real VS Code (code-server) with the packaged .vsix
// installed, its own temp extensions/user-data/workspace folders and port,
// driven by Debian's Chromium through playwright-core. E2E tests (spine,
// Runs/Jobs/Alerts trees, dashboards) start one per test:
//
//   const studio = await Studio.start(t, { seed: (ws) => ... });
//   await studio.openContainer();
//   await studio.runCommand('Tune Studio: Show Runtime Status');
//   const page = studio.webview();   // the panel's own DOM
//   await studio.screenshot('spine-status');
//
// Everything is shut down in t.after, also when the test fails. Every wait
// is on a condition with a generous deadline; no fixed sleeps.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TestContext } from 'node:test';
import type { Browser, FrameLocator, Locator, Page } from 'playwright-core';
import {
  ROOT,
  folderUrl,
  installVsix,
  launchChromium,
  requireCodeServer,
  startCodeServer,
  type ServerHandle,
  killStrays,
} from '../../scripts/codeServer.mjs';

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  publisher: string;
  displayName: string;
};

export const VSIX = path.join(ROOT, `${pkg.name}-${pkg.version}.vsix`);
export const RESULTS_DIR = path.join(ROOT, 'test-results');
export const EXTENSION_ID = `${pkg.publisher}.${pkg.name}`;
/** Deadline for UI conditions: generous, because CI machines have 2 cores. */
export const UI_TIMEOUT = 60_000;

export interface StudioOptions {
  /** The .vsix to install; default the packaged tune-studio-<version>.vsix. */
  vsix?: string;
  /** Fills the fresh workspace folder before the editor opens it. */
  seed?: (workspace: string) => void | Promise<void>;
  /** Extra user settings. */
  settings?: Record<string, unknown>;
  viewport?: { width: number; height: number };
}

export class Studio {
  private constructor(
    readonly page: Page,
    readonly browser: Browser,
    readonly server: ServerHandle,
    readonly dirs: { root: string; extensions: string; userData: string; workspace: string },
  ) {}

  /** Starts code-server with the extension installed and opens the workspace in Chromium. */
  static async start(t: TestContext, opts: StudioOptions = {}): Promise<Studio> {
    requireCodeServer();
    const vsix = opts.vsix ?? VSIX;
    if (!fs.existsSync(vsix)) throw new Error(`${path.basename(vsix)} is missing: run \`npm run package\` first (npm test does it before e2e).`);
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tunestudio-e2e-'));
    const dirs = {
      root,
      extensions: path.join(root, 'extensions'),
      userData: path.join(root, 'user-data'),
      workspace: path.join(root, 'workspace'),
    };
    fs.mkdirSync(dirs.workspace, { recursive: true });
    let server: ServerHandle | undefined;
    let browser: Browser | undefined;
    const cleanup = async () => {
      await browser?.close().catch(() => {});
      await server?.stop();
      // Jobs the editor started run in their own process groups (they outlive a runtime): end them with the test.
      killStrays(root);
      fs.rmSync(root, { recursive: true, force: true });
    };
    t.after(cleanup);
    await opts.seed?.(dirs.workspace);
    installVsix({ vsix, extensionsDir: dirs.extensions, userDataDir: dirs.userData, log: () => {} });
    server = await startCodeServer({
      workspace: dirs.workspace,
      extensionsDir: dirs.extensions,
      userDataDir: dirs.userData,
      // The walkthrough opens on a first start; tests that are not about it keep the editor as it was.
      settings: { 'tuneStudio.walkthrough.openOnFirstRun': false, ...opts.settings },
    });
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: opts.viewport ?? { width: 1440, height: 1000 } });
    page.setDefaultTimeout(UI_TIMEOUT);
    await page.goto(folderUrl(server.url, dirs.workspace), { waitUntil: 'domcontentloaded', timeout: 120_000 });
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 120_000 });
    const studio = new Studio(page, browser, server, dirs);
    await studio.activityBarItem().waitFor({ state: 'visible', timeout: 120_000 });
    return studio;
  }

  /** The installed extension's folder (under the temp extensions dir). */
  installedExtensionDir(): string {
    const name = fs.readdirSync(this.dirs.extensions).find((d) => d.toLowerCase().startsWith(EXTENSION_ID.toLowerCase()));
    if (!name) throw new Error(`${EXTENSION_ID} is not installed in ${this.dirs.extensions}`);
    return path.join(this.dirs.extensions, name);
  }

  /** Picks a colour theme the way a user does: "Preferences: Color Theme", type its name, click it. */
  async pickColorTheme(label: string): Promise<void> {
    const quickInput = this.page.locator('.quick-input-widget');
    const input = quickInput.locator('input.input');
    if (await quickInput.isVisible()) await this.page.keyboard.press('Escape');
    await this.page.keyboard.press('Control+Shift+P');
    await input.waitFor({ state: 'visible' });
    await input.fill('>Preferences: Color Theme');
    await quickInput.locator('.monaco-list-row', { hasText: 'Preferences: Color Theme' }).first().click();
    // The theme list replaces the palette in the same widget.
    await quickInput.locator('.monaco-list-row', { hasText: label }).first().waitFor({ state: 'visible' });
    await input.fill(label);
    await quickInput.locator('.monaco-list-row', { hasText: label }).first().click();
    await quickInput.waitFor({ state: 'hidden' });
  }

  // ------------------------------------------------------------ commands

  /** Runs a command by its palette title, e.g. "Tune Studio: Show Runtime Status". */
  async runCommand(title: string): Promise<void> {
    const quickInput = this.page.locator('.quick-input-widget');
    if (await quickInput.isVisible()) await this.page.keyboard.press('Escape');
    await this.page.keyboard.press('Control+Shift+P');
    const input = quickInput.locator('input.input');
    await input.waitFor({ state: 'visible' });
    await input.fill(`>${title}`);
    const row = quickInput.locator('.monaco-list-row', { hasText: title }).first();
    await row.waitFor({ state: 'visible' });
    await row.click();
    await quickInput.waitFor({ state: 'hidden' });
  }

  // ------------------------------------------------------------ sidebar

  /** The Tune Studio icon in the activity bar. */
  activityBarItem(): Locator {
    return this.page.locator(`.activitybar .action-item a[aria-label^="${pkg.displayName}"]`).first();
  }

  /** Opens the Tune Studio container in the side bar (does not toggle it closed). */
  async openContainer(): Promise<void> {
    const title = this.page.locator('.sidebar .composite.title h2', { hasText: pkg.displayName });
    if (!(await title.isVisible())) await this.activityBarItem().click();
    await title.waitFor({ state: 'visible' });
  }

  /** The names of the view panes in the side bar, top to bottom. */
  async viewNames(): Promise<string[]> {
    return (await this.page.locator('.sidebar .pane-header h3.title').allTextContents()).map((s) => s.trim());
  }

  /** A view pane (header and body) of the side bar, by its name. */
  viewPane(name: string): Locator {
    return this.page.locator('.sidebar .pane').filter({ has: this.page.locator('.pane-header h3.title', { hasText: exactly(name) }) });
  }

  /** Expands a view pane if it is collapsed. */
  async expandView(name: string): Promise<Locator> {
    const pane = this.viewPane(name);
    const header = pane.locator('.pane-header');
    await header.waitFor({ state: 'visible' });
    if ((await header.getAttribute('aria-expanded')) === 'false') await header.click();
    await pane.locator('.pane-body').waitFor({ state: 'visible' });
    return pane;
  }

  /** The welcome (empty state) content of a view. */
  welcome(view: string): Locator {
    return this.viewPane(view).locator('.welcome-view-content');
  }

  /** The rows of a tree view. */
  treeRows(view: string): Locator {
    return this.viewPane(view).locator('.monaco-list-row');
  }

  /** The tree row whose label contains `label`. */
  treeRow(view: string, label: string | RegExp): Locator {
    return this.treeRows(view).filter({ hasText: label });
  }

  // ------------------------------------------------------------ editors and webviews

  /** The editor tab with this title. */
  editorTab(title: string): Locator {
    return this.page.locator('.tabs-container .tab', { hasText: title });
  }

  /**
   * A webview panel's own DOM. The visible webview by default; with several
   * open, pass the index among the ready webview frames.
   */
  webview(index = 0): FrameLocator {
    return this.page.locator('iframe.webview.ready').nth(index).contentFrame().frameLocator('#active-frame');
  }

  // ------------------------------------------------------------ evidence

  /**
   * Waits until the window is at rest: the mouse parked over the editor area
   * (no hover tooltips), no progress bar running, no hover shown.
   */
  async settle(): Promise<void> {
    const size = this.page.viewportSize() ?? { width: 1440, height: 1000 };
    await this.page.mouse.move(size.width * 0.75, size.height * 0.92);
    await this.page.waitForFunction(AT_REST, undefined, { timeout: UI_TIMEOUT, polling: 100 });
  }

  /**
   * Saves a screenshot of the whole window to test-results/<name>.png (after
   * settle(), unless `settle: false`) and returns its path.
   */
  async screenshot(name: string, opts: { settle?: boolean } = {}): Promise<string> {
    if (opts.settle !== false) await this.settle();
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    const file = path.join(RESULTS_DIR, `${name.replace(/[^\w.-]+/g, '-')}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  /** The last lines code-server printed (for failure messages). */
  serverLog(lines = 40): string {
    return this.server.logs.slice(-lines).join('\n');
  }
}

/**
 * True in the page when no progress bar runs and no hover shows. A string, not
 * a function: the test runner's transpiler would add helpers the page lacks.
 */
const AT_REST = `(() => {
  const visible = (sel) => [...document.querySelectorAll(sel)].some((e) => e.offsetParent !== null && getComputedStyle(e).visibility !== 'hidden');
  return !visible('.monaco-progress-container.active') && !visible('.workbench-hover') && !visible('.monaco-hover:not(.hidden)');
})()`;

/** A RegExp matching exactly `s` (trimmed), for hasText filters. */
export function exactly(s: string): RegExp {
  return new RegExp(`^\\s*${s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
}

/**
 * Text of a contributed welcome line as VS Code renders it: links as their
 * labels, no icons. (Welcome content supports links only: other markdown,
 * such as `code`, shows literally.)
 */
export function renderedWelcomeText(markdown: string): string {
  return markdown
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\$\([\w-]+\)\s*/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}
