/**
 * The status page in a real browser: Debian's chromium driven by playwright-core, inside the
 * appliance's network namespace (the machine's own network stays out of it). Real dhclient leases
 * from a phone namespace, one with hostile host name and vendor class; the page must show them as
 * text, run none of it, find leases by search, and update a phone's timeline live (server-sent
 * events) when it gets NXDOMAIN and REFUSED. A screenshot is written to the test's temp folder.
 */
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ddnsSiteYaml } from "../ddns/ddns-harness.js";
import { PhoneLab } from "../ddns/phone-lab.js";
import { canUseNetns } from "../helpers/netns.js";

const CHROMIUM = "/usr/bin/chromium";
const TOKEN = "browser-token-of-thirty-chars";
const HOSTILE_NAME = "<img src=x onerror=alert(1)>";
const HOSTILE_VENDOR = "<script>alert(2)</script>";
const PHONE_MAC = "00:04:f2:aa:00:01";
const HOSTILE_MAC = "02:00:00:bb:00:01";

describe.skipIf(!canUseNetns() || !existsSync(CHROMIUM))("the status page in chromium", () => {
  const lab = new PhoneLab();
  let context: BrowserContext | undefined;

  beforeAll(async () => {
    lab.setUp();
    await lab.serve(ddnsSiteYaml().replace(/^dhcp:\n/m, `control:\n  token: ${TOKEN}\ndhcp:\n`), TOKEN);
    // The browser runs in the appliance's namespace: a wrapper enters it and keeps playwright's pipe.
    const wrapper = join(lab.dir, "chromium-in-netns.sh");
    writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${lab.app} ${CHROMIUM} "$@"\n`);
    chmodSync(wrapper, 0o755);
    // A fresh profile folder (the persistent-context form is how playwright takes --user-data-dir).
    context = await chromium.launchPersistentContext(join(lab.dir, "chromium-profile"), {
      executablePath: wrapper,
      httpCredentials: { username: "lab", password: TOKEN },
      headless: true,
      timeout: 60_000,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  }, 90_000);

  afterAll(async () => {
    await context?.close();
    await lab.destroy();
  });

  it("shows real leases with hostile names as text, searches them, and follows a phone's timeline live", async () => {
    await lab.lease(
      "hostile",
      HOSTILE_MAC,
      `send host-name "${HOSTILE_NAME}";\nsend vendor-class-identifier "${HOSTILE_VENDOR}";\n`,
    );
    await lab.lease(
      "phone",
      PHONE_MAC,
      'send host-name "deskphone-a";\nsend vendor-class-identifier "Polycom-VVX-450";\n',
    );

    const page = await context!.newPage();
    const dialogs: string[] = [];
    page.on("dialog", (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto("http://127.0.0.1:8053/");
    await page.waitForSelector("body[data-loaded=true]");
    await page.waitForFunction('document.getElementById("live").textContent === "live"');

    // Health, services, pools.
    expect(await page.textContent("#health")).toBe("healthy");
    expect(await page.textContent("#services")).toContain("dhcp: running");
    const pool = await page.locator("#pools tbody tr").first().locator("td").allTextContents();
    expect(pool[0]).toBe("198.51.100.0/24");
    expect(pool[2]).toBe("2");

    // The hostile lease, as text: no element made from it, nothing run.
    const rows = page.locator("#leases tbody tr");
    expect(await rows.count()).toBe(2);
    const hostile = await rows.filter({ hasText: HOSTILE_MAC }).locator("td").allTextContents();
    expect(hostile[2]).toBe(HOSTILE_NAME);
    expect(hostile[3]).toBe(""); // refused as a DNS name
    expect(hostile[4]).toBe(HOSTILE_VENDOR);
    expect(await page.locator("#leases img").count()).toBe(0);
    expect(await page.locator("script").count()).toBe(1);
    const phoneRow = await rows.filter({ hasText: PHONE_MAC }).locator("td").allTextContents();
    expect(phoneRow[3]).toBe("deskphone-a.contoso.com");

    // Search by name, MAC and address.
    await page.fill("#search", "deskphone");
    expect(await rows.count()).toBe(1);
    await page.fill("#search", HOSTILE_MAC.slice(-8));
    expect(await rows.allTextContents()).toEqual([expect.stringContaining(HOSTILE_NAME)]);
    await page.fill("#search", "");

    // The phone's timeline, then new DNS trouble arriving live.
    await rows.filter({ hasText: PHONE_MAC }).getByRole("button").click();
    await page.waitForSelector("#timeline tbody tr");
    expect(await page.locator("#timeline tbody").textContent()).toContain("REQUEST → ACK");
    lab.dig("nosuch.contoso.com", "A");
    lab.dig("www.example.org", "A");
    const nx = page.locator("#timeline tbody tr.bad", { hasText: "nosuch.contoso.com → NXDOMAIN" });
    await nx.waitFor({ timeout: 10_000 });
    await page
      .locator("#timeline tbody tr.bad", { hasText: "www.example.org → REFUSED" })
      .waitFor({ timeout: 10_000 });
    expect(await nx.textContent()).toContain("⚠");

    const screenshot = join(lab.dir, "status-page.png");
    await page.screenshot({ path: screenshot, fullPage: true });
    expect(statSync(screenshot).size).toBeGreaterThan(10_000);
    expect(readFileSync(screenshot).subarray(1, 4).toString()).toBe("PNG");
    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);
});
