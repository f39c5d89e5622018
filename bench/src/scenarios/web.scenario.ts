import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Fleet } from '@corral/simulator';
import type { Page } from 'playwright-core';
import { openBrowser } from '../support/browser.js';
import { ControllerProcess } from '../support/controller-process.js';
import { REPO_ROOT } from '../support/paths.js';
import { type Figure, figure, type ScenarioReport } from '../support/report.js';
import { sleep, summarize } from '../support/stats.js';
import { type FleetSize, label } from './fleet-size.js';

const TARGET_RENDER_MS = 1_500;
const TARGET_HEAP_MIB = 150;
// Flat: the heap at the end of the churn is within this share of its level halfway through.
const FLAT_SHARE = 0.1;
const MiB = 1024 ** 2;
const RESULTS = path.join(REPO_ROOT, 'bench', 'results');

export interface WebParams {
  loads: number;
  churnRate: number;
  churnSeconds: number;
  sampleEverySeconds: number;
}

// Navigation start to the page's own mark for its first rows of data (performance.mark in the page).
async function timeToMark(page: Page, url: string, mark: string): Promise<number> {
  await page.goto(url, { waitUntil: 'commit' });
  const handle = await page.waitForFunction((name) => performance.getEntriesByName(name)[0]?.startTime ?? null, mark, {
    timeout: 120_000,
    polling: 20,
  });
  return (await handle.jsonValue()) as number;
}

async function usedHeap(page: Page, session: { send(method: string): Promise<unknown> }): Promise<number> {
  await session.send('HeapProfiler.collectGarbage');
  const usage = (await session.send('Runtime.getHeapUsage')) as { usedSize: number };
  void page;
  return usage.usedSize;
}

// The web view in headless Chromium against a synced simulated fleet: time to the first rows of the
// fleet page and of the containers page, and the page's JS heap while the fleet churns.
export async function webScenario(
  ctl: ControllerProcess,
  fleet: Fleet,
  size: FleetSize,
  params: WebParams,
): Promise<ScenarioReport> {
  mkdirSync(RESULTS, { recursive: true });
  const browser = await openBrowser();
  try {
    const { page, context } = browser;
    await page.goto(`${ctl.baseUrl}/`);
    await page.getByLabel('API token').fill(ControllerProcess.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Fleet' }).waitFor({ timeout: 60_000 });

    const fleetRender: number[] = [];
    const fleetLoaded: number[] = [];
    const containersRender: number[] = [];
    for (let i = 0; i < params.loads; i++) {
      fleetRender.push(await timeToMark(page, `${ctl.baseUrl}/`, 'corral-fleet-rows'));
      const loaded = await page.waitForFunction(
        () => performance.getEntriesByName('corral-fleet-loaded')[0]?.startTime ?? null,
        undefined,
        { timeout: 300_000, polling: 50 },
      );
      fleetLoaded.push((await loaded.jsonValue()) as number);
      containersRender.push(await timeToMark(page, `${ctl.baseUrl}/containers`, 'corral-containers-rows'));
      console.log(
        `  web ${label(size)}: fleet rows at ${fleetRender[i]!.toFixed(0)} ms (all hosts at ${fleetLoaded[i]!.toFixed(0)} ms), ` +
          `containers rows at ${containersRender[i]!.toFixed(0)} ms`,
      );
    }

    // Pictures of the pages at this size, beside the results (bench/results is not committed).
    await page.screenshot({ path: path.join(RESULTS, 'web-containers.png') });
    // The fleet page stays open while the fleet churns.
    await page.goto(`${ctl.baseUrl}/`);
    await page.waitForFunction(() => performance.getEntriesByName('corral-fleet-loaded').length > 0, undefined, {
      timeout: 300_000,
    });
    await page.screenshot({ path: path.join(RESULTS, 'web-fleet.png') });
    const hostRowsInDom = await page.evaluate<number>("document.querySelectorAll('tr[data-host]').length");
    const cdp = await context.newCDPSession(page);
    const samples: { t: number; heapMiB: number; events: number }[] = [];
    const events = () => page.evaluate<number>('window.corralStats.eventsReceived');
    const startHeap = await usedHeap(page, cdp);
    samples.push({ t: 0, heapMiB: startHeap / MiB, events: await events() });
    const started = Date.now();
    fleet.setChurn(params.churnRate);
    try {
      while (Date.now() - started < params.churnSeconds * 1000) {
        await sleep(params.sampleEverySeconds * 1000);
        const heap = await usedHeap(page, cdp);
        const sample = { t: (Date.now() - started) / 1000, heapMiB: heap / MiB, events: await events() };
        samples.push(sample);
        console.log(
          `  web churn ${params.churnRate}/s: ${sample.t.toFixed(0)} s, heap ${sample.heapMiB.toFixed(1)} MiB, ` +
            `${sample.events} events received`,
        );
      }
    } finally {
      fleet.setChurn(0);
    }
    const still = await page.evaluate<number>("document.querySelectorAll('tr[data-host]').length");
    const mid = samples[Math.floor(samples.length / 2)]!;
    const end = samples[samples.length - 1]!;
    const peak = Math.max(...samples.map((s) => s.heapMiB));
    const eventsPerSecond = (end.events - samples[0]!.events) / Math.max(1, end.t);
    const flat = end.heapMiB <= mid.heapMiB * (1 + FLAT_SHARE);
    const fr = summarize(fleetRender);
    const cr = summarize(containersRender);
    const figures: Figure[] = [
      figure('fleet page, first rows', fr.p50, 'ms', {
        target: { text: `<= ${TARGET_RENDER_MS} ms`, met: fr.p50 <= TARGET_RENDER_MS },
        note: `max ${fr.max.toFixed(0)} ms over ${fr.count} loads; all ${size.hosts} hosts in p50 ${summarize(fleetLoaded).p50.toFixed(0)} ms`,
      }),
      figure('containers page, first rows', cr.p50, 'ms', {
        target: { text: `<= ${TARGET_RENDER_MS} ms`, met: cr.p50 <= TARGET_RENDER_MS },
        note: `max ${cr.max.toFixed(0)} ms over ${cr.count} loads`,
      }),
      figure(`JS heap after ${params.churnSeconds} s of churn`, end.heapMiB, 'MiB', {
        target: { text: `flat, <= ${TARGET_HEAP_MIB} MiB`, met: flat && end.heapMiB <= TARGET_HEAP_MIB },
        note: `start ${samples[0]!.heapMiB.toFixed(1)}, halfway ${mid.heapMiB.toFixed(1)}, peak ${peak.toFixed(1)} MiB; ${eventsPerSecond.toFixed(0)} events/s reached the page`,
      }),
      figure('host rows in the DOM', still, 'rows', { note: `${hostRowsInDom} before the churn; ${size.hosts} hosts` }),
    ];
    return {
      scenario: 'web',
      params: { fleet: label(size), ...params },
      figures,
      details: { fleetRender, fleetLoaded, containersRender, samples },
    };
  } finally {
    await browser.close();
  }
}
