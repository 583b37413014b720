import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { pathToFileURL } from "url";
import { Browser } from "playwright-core";
import { parseStackConfig, readStackFile } from "../../config";
import { loadCatalogue } from "../../distros/catalogue";
import { evidenceFromProperties } from "../../model/evidence";
import { planStack } from "../../model/plan";
import { historyEntries } from "../../report/history";
import { renderHtml } from "../../report/html";
import { matrixRows } from "../../report/model";
import { ROOT } from "../../scripts/dev/engineWorkspace";
import { parse as parseYaml } from "yaml";
import { checkLayout, launchChromium, rowShapes } from "./browser";

// The report page in a real browser (Debian chromium): what a person sees, checked by its
// structure (the accessibility tree, the layout's grid, one colour per status), not by pixels.
describe("the report page in chromium", function () {
    this.timeout(120000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "osip-report-"));
    let browser: Browser;

    /** A lab stack in its second month: one release in production, the next one tested. */
    function writeReport() {
        const catalogue = loadCatalogue();
        const { file, raw } = readStackFile(ROOT, "lab");
        const distros = raw.distros as Record<string, Record<string, unknown>>;
        raw.distros = {
            debian12: {
                ...distros.debian12,
                releases: ["2026-11-01", "2026-12-01"],
                promote: "2026-11-01",
            },
        };
        const glance = (release: string, props: Record<string, string>) =>
            evidenceFromProperties({
                osimages_sha256: release,
                osimages_tested_sha256: release,
                osimages_tested_use_cases: "unmanaged-virtual,managed-virtual",
                osimages_tested_at: `${release}T09:00:00Z`,
                osimages_test_summary:
                    "unmanaged-virtual: 9 passed, 0 failed (0 image, 0 infra), 6 skipped; managed-virtual: 11 passed, 0 failed (0 image, 0 infra), 6 skipped",
                ...props,
            });
        const evidence = new Map([
            [
                "debian12-x86_64-bios-2026-11-01",
                glance("2026-11-01", { osimages_test_result: "passed" }),
            ],
            [
                "debian12-x86_64-uefi-2026-11-01",
                glance("2026-11-01", {
                    osimages_test_result: "passed",
                    osimages_infra_retries: "unmanaged-virtual: 1, managed-virtual: 0",
                }),
            ],
            [
                "debian12-x86_64-bios-2026-12-01",
                glance("2026-12-01", {
                    osimages_test_result: "failed",
                    osimages_failed_tests: "managed-virtual: managed/agent_run_clean",
                    osimages_known_flaky: "unmanaged-virtual: site/ntp (NTP flaps, INC-7)",
                }),
            ],
            [
                "debian12-x86_64-uefi-2026-12-01",
                glance("2026-12-01", { osimages_test_result: "pending" }),
            ],
        ]);
        const plan = planStack(parseStackConfig(raw, file, catalogue), catalogue, evidence);
        const { useCases, rows } = matrixRows(plan, (key, useCase) => {
            const junit = path.join("cells", key, `${useCase}.junit.xml`);
            fs.mkdirSync(path.join(dir, "cells", key), { recursive: true });
            fs.writeFileSync(
                path.join(dir, junit),
                `<testsuites><testsuite name="managed"><testcase name="agent_run_clean ${key}"/></testsuite></testsuites>`,
            );
            return { junit };
        });
        const html = renderHtml({
            stack: "lab",
            generatedAt: "2026-12-07T06:00:00.000Z",
            useCases,
            rows,
            history: historyEntries(plan, []),
        });
        fs.writeFileSync(path.join(dir, "index.html"), html);
        return pathToFileURL(path.join(dir, "index.html")).href;
    }

    before(async () => {
        browser = await launchChromium();
    });

    after(async () => {
        await browser?.close();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("shows the matrix distro x arch x firmware x use case with each cell's status", async () => {
        const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
        await page.goto(writeReport());
        assert.strictEqual(await page.title(), "OS images: stack lab");
        // The accessibility tree's shape: a header row of 7 column headers, then per image a row
        // header and 6 cells (arch, firmware, release, stage, one per use case).
        const tree = await page.getByRole("table", { name: "Test matrix" }).ariaSnapshot();
        assert.deepStrictEqual(rowShapes(parseYaml(tree)), [
            Array(7).fill("columnheader"),
            ...Array(4).fill(["rowheader", ...Array(6).fill("cell")]),
        ]);
        const statuses = await page.$$eval("table.matrix tbody tr", (trs) =>
            trs.map((tr) => [
                tr.getAttribute("data-key"),
                ...[...tr.querySelectorAll("td.cell")].map((td) => td.getAttribute("data-status")),
            ]),
        );
        assert.deepStrictEqual(statuses, [
            ["debian12-x86_64-bios-2026-11-01", "passed", "passed"],
            ["debian12-x86_64-uefi-2026-11-01", "infra-retried", "passed"],
            ["debian12-x86_64-bios-2026-12-01", "known-flaky", "failed"],
            ["debian12-x86_64-uefi-2026-12-01", "pending", "pending"],
        ]);
        const failed = page.locator('tr[data-key="debian12-x86_64-bios-2026-12-01"] td.failed');
        assert.match(await failed.innerText(), /failed\s[\s\S]*managed\/agent_run_clean/);
        const cells = await checkLayout(page, path.join(dir, "screenshot.png"));
        assert.strictEqual(cells.length, 8);
        await page.close();
    });

    it("links each cell to its JUnit report, and shows production's evidence and the history", async () => {
        const page = await browser.newPage();
        await page.goto(writeReport());
        const production = await page
            .getByRole("table", { name: "Production evidence" })
            .innerText();
        assert.match(production, /DEBIAN12 - x86_64\s+2026-11-01\s+passed/);
        const history = await page.getByRole("table", { name: "Build history" }).innerText();
        assert.match(
            history,
            /2026-12-01\s+debian12-x86_64-bios-2026-12-01, debian12-x86_64-uefi-2026-12-01\s+test\s+failed/,
        );
        assert.match(history, /2026-11-01\s+.*\s+production\s+passed/);
        await page
            .locator('tr[data-key="debian12-x86_64-bios-2026-12-01"] td.failed')
            .getByRole("link", { name: "JUnit" })
            .click();
        assert.ok(
            page.url().endsWith("/cells/debian12-x86_64-bios-2026-12-01/managed-virtual.junit.xml"),
        );
        assert.match(await page.content(), /agent_run_clean debian12-x86_64-bios-2026-12-01/);
        await page.close();
    });
});
