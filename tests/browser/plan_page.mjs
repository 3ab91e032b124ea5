// Opens a page `git-split plan --format html` wrote in headless Chromium
// (Debian's), does what a reader does, and prints what happened as JSON:
//
//   node plan_page.mjs PAGE [--click DIR] [--search TEXT] [--screenshot PNG]
//
// --click DIR   clicks on DIR's name in the map, then presses Escape
// --search TEXT types TEXT into the search box
// It never decides pass or fail: the Rust test or bench reading the JSON does.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const page_path = resolve(args[0]);
const opt = name => {
  const i = args.indexOf(name);
  return i > 0 ? args[i + 1] : undefined;
};

// This machine has no network: without these flags Chromium keeps trying.
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--no-first-run', '--disable-sync'];
const profile = mkdtempSync(join(tmpdir(), 'git-split-chromium-'));
const out = { requests: [], blocked: [], errors: [] };
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: FLAGS,
  viewport: { width: 1400, height: 1000 },
});
try {
  const url = pathToFileURL(page_path).href;
  const page = context.pages()[0] || (await context.newPage());
  context.on('request', r => { if (r.url() !== url) out.requests.push(r.url()); });
  page.on('pageerror', e => out.errors.push(String(e)));
  page.on('console', m => { if (m.type() === 'error') out.errors.push(m.text()); });
  // A request the page's Content-Security-Policy refuses never reaches the
  // network layer, so refusals are collected too: either means the page
  // tried to load something.
  await page.addInitScript(() => {
    window.__refused = [];
    document.addEventListener('securitypolicyviolation', e => window.__refused.push(e.blockedURI));
  });
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30000 });
  out.ready_ms = await page.evaluate(() => Number(document.body.dataset.readyMs));
  out.title = await page.title();
  out.text = await page.evaluate(() => document.body.innerText);
  const crumbs = () => page.evaluate(() => document.getElementById('crumbs').innerText.replace(/\s+/g, ' ').trim());
  out.crumbs = await crumbs();

  const dir = opt('--click');
  if (dir !== undefined) {
    const r = await page.evaluate(d => window.gitSplitPlan.rectOf(d), dir);
    out.click = { drawn: r !== null };
    if (r) {
      // On the directory's name, at its top left.
      const [x, y] = [r.x + Math.min(8, r.width / 2), r.y + Math.min(6, r.height / 2)];
      await page.mouse.move(x, y);
      out.click.tooltip = await page.evaluate(() => document.getElementById('tip').innerText);
      await page.mouse.click(x, y);
      out.click.crumbs = await crumbs();
      out.click.current = await page.evaluate(() => window.gitSplitPlan.current());
      await page.keyboard.press('Escape');
      out.click.back_crumbs = await crumbs();
      out.click.back_current = await page.evaluate(() => window.gitSplitPlan.current());
    }
  }

  const text = opt('--search');
  if (text !== undefined) {
    await page.fill('#search', text);
    await page.waitForFunction(() => document.getElementById('search-count').innerText !== '');
    out.search = {
      count: await page.evaluate(() => document.getElementById('search-count').innerText),
      listed: await page.evaluate(() => [...document.querySelectorAll('#matches button')].map(b => b.innerText)),
    };
  }

  const shot = opt('--screenshot');
  if (shot !== undefined) {
    await page.fill('#search', '');
    await page.evaluate(() => window.gitSplitPlan.zoomTo(''));
    await page.mouse.move(0, 0);
    await page.screenshot({ path: shot, fullPage: args.includes('--full') });
  }
  out.blocked = await page.evaluate(() => window.__refused);
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(out) + '\n');
