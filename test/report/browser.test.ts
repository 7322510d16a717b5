// The report opened from disk in headless Chromium: the table, every chart and every gallery image
// render, with no console error and no request but the page itself. A screenshot is saved in the
// test's temporary folder. Set-up installs Debian's chromium; SELFSUP_SKIP_BROWSER=1 skips this.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeReport } from '../../src/report/index.js';
import { skipBrowser as skip, withPage } from '../helpers/browser.js';
import { tempFolders } from '../helpers/tmp.js';
import { writeExperiment } from './fixture.js';

const tmp = tempFolders('report-browser');

test('report.html renders in Chromium from disk, offline', { skip }, async () => {
  const dir = tmp('run');
  writeExperiment(dir);
  const url = pathToFileURL(await writeReport(dir)).href;
  const { errors, requests } = await withPage(url, async (page) => {
    assert.equal(await page.title(), 'tiny: report');
    assert.ok(await page.locator('#results-table').isVisible());
    assert.equal(await page.locator('#results-table tbody tr').count(), 3);
    assert.equal(await page.locator('#results-table tbody tr').first().locator('td').nth(1).textContent(), '21.3');

    const charts = page.locator('figure.chart svg');
    assert.equal(await charts.count(), 6);
    for (const svg of await charts.all()) {
      assert.ok(await svg.isVisible());
      const box = (await svg.boundingBox())!;
      assert.ok(box.width > 100 && box.height > 50, `chart of ${box.width} x ${box.height}`);
      // Lines, bars or areas were drawn.
      assert.ok((await svg.locator('path').count()) > 0);
    }

    const imgs = page.locator('.tile img');
    assert.equal(await imgs.count(), 22 + 8);
    const sizes = await imgs.evaluateAll((els) => (els as HTMLImageElement[]).map((e) => [e.complete, e.naturalWidth, e.naturalHeight, e.getBoundingClientRect().width]));
    for (const s of sizes) assert.deepEqual(s, [true, 12, 10, 60]);
    assert.equal(await page.locator('.tile.wrong').count(), 1);

    await page.screenshot({ path: join(dir, 'report.png'), fullPage: true });
    assert.ok(existsSync(join(dir, 'report.png')));
  });
  assert.deepEqual(errors, []);
  assert.deepEqual(requests, [url]);
});
