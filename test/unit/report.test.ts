import * as assert from "assert";
import * as path from "path";
import { parseStackConfig, readStackFile } from "../../config";
import { loadCatalogue } from "../../distros/catalogue";
import { Evidence, evidenceFromProperties } from "../../model/evidence";
import { planStack } from "../../model/plan";
import { historyEntries, releaseEvents, UpdateRecord } from "../../report/history";
import { renderHtml } from "../../report/html";
import { renderMarkdown } from "../../report/markdown";
import { byUseCase, cellOf, matrixRows, Report } from "../../report/model";
import { parseHistory } from "../../scripts/dev/report";

const ROOT = path.join(__dirname, "..", "..");
const catalogue = loadCatalogue();

/** Evidence as Glance would hold it after a run. */
function evidence(props: Record<string, string>): Evidence {
    return evidenceFromProperties({
        osimages_sha256: "a",
        osimages_tested_sha256: "a",
        osimages_tested_use_cases: "unmanaged-virtual,managed-virtual",
        osimages_tested_at: "2026-11-03T08:00:00Z",
        ...props,
    });
}

/** The lab stack, its debian12 entry edited. */
function labPlan(debian12: Record<string, unknown>, glance: Map<string, Evidence>) {
    const { file, raw } = readStackFile(ROOT, "lab");
    const distros = raw.distros as Record<string, Record<string, unknown>>;
    raw.distros = { debian12: { ...distros.debian12, ...debian12 } };
    return planStack(parseStackConfig(raw, file, catalogue), catalogue, glance);
}

describe("the report", () => {
    describe("cells: what each use case's run says, as openQA tells them apart", () => {
        it("groups the evidence's lists by use case, keeping commas inside an item", () => {
            const grouped = byUseCase(
                "managed-virtual: site/ntp (flaky, see INC-1), unmanaged-virtual: site/dns, managed-virtual: site/afs (x)",
            );
            assert.deepStrictEqual(grouped.get("managed-virtual"), [
                "site/ntp (flaky, see INC-1)",
                "site/afs (x)",
            ]);
            assert.deepStrictEqual(grouped.get("unmanaged-virtual"), ["site/dns"]);
            assert.strictEqual(byUseCase("none").size, 0);
        });

        it("failed, known flaky, infrastructure-retried, passed, pending and not run", () => {
            const failed = evidence({
                osimages_test_result: "failed",
                osimages_failed_tests: "managed-virtual: managed/agent_run_clean",
                osimages_known_flaky: "unmanaged-virtual: site/ntp (NTP flaps)",
                osimages_infra_retries: "unmanaged-virtual: 1, managed-virtual: 0",
                osimages_test_summary:
                    "unmanaged-virtual: 9 passed, 1 failed (1 image, 0 infra), 6 skipped; managed-virtual: 10 passed, 1 failed (1 image, 0 infra), 6 skipped",
            });
            const managed = cellOf("managed-virtual", failed, {});
            assert.strictEqual(managed.status, "failed");
            assert.deepStrictEqual(managed.failed, ["managed/agent_run_clean"]);
            assert.match(managed.summary!, /^10 passed, 1 failed/);
            // A tolerated failure beats a retried machine: both show, flaky decides the colour.
            const unmanaged = cellOf("unmanaged-virtual", failed, {});
            assert.strictEqual(unmanaged.status, "known-flaky");
            assert.strictEqual(unmanaged.retries, 1);
            const retried = evidence({
                osimages_test_result: "passed",
                osimages_infra_retries: "unmanaged-virtual: 2, managed-virtual: 0",
            });
            assert.strictEqual(cellOf("unmanaged-virtual", retried, {}).status, "infra-retried");
            assert.strictEqual(cellOf("managed-virtual", retried, {}).status, "passed");
            assert.strictEqual(
                cellOf("managed-virtual", evidence({ osimages_test_result: "pending" }), {}).status,
                "pending",
            );
            // Not among the use cases the image was tested on; no image; no evidence read.
            assert.strictEqual(cellOf("managed-physical", retried, {}).status, "not-run");
            assert.strictEqual(
                cellOf("managed-virtual", evidenceFromProperties(undefined), {}).status,
                "not-run",
            );
            assert.strictEqual(cellOf("managed-virtual", undefined, {}).status, "not-run");
        });
    });

    describe("the matrix", () => {
        it("has a row per image of each kept release and a column per use case tested", () => {
            const glance = new Map<string, Evidence>([
                [
                    "debian12-x86_64-bios-2026-11-01",
                    evidence({
                        osimages_test_result: "failed",
                        osimages_failed_tests: "unmanaged-virtual: site/dns",
                    }),
                ],
                ["debian12-x86_64-uefi-2026-11-01", evidence({ osimages_test_result: "passed" })],
            ]);
            const seen: string[] = [];
            const { useCases, rows } = matrixRows(labPlan({}, glance), (key, u) => {
                seen.push(`${key}/${u}`);
                return { junit: `cells/${key}/${u}.junit.xml` };
            });
            assert.deepStrictEqual(useCases, ["unmanaged-virtual", "managed-virtual"]);
            assert.deepStrictEqual(
                rows.map((r) => [r.key, r.stage, r.cells.map((c) => c.status)]),
                [
                    ["debian12-x86_64-bios-2026-11-01", "test", ["failed", "passed"]],
                    ["debian12-x86_64-uefi-2026-11-01", "test", ["passed", "passed"]],
                ],
            );
            assert.strictEqual(seen.length, 4);
            assert.strictEqual(
                rows[0].cells[0].files.junit,
                "cells/debian12-x86_64-bios-2026-11-01/unmanaged-virtual.junit.xml",
            );
        });
    });

    describe("the history, from the state's updates", () => {
        const updates: UpdateRecord[] = [
            {
                endTime: "2026-11-02T10:00:00.000Z",
                distros: { debian12: { releases: ["2026-11-01"], keep: 2 } },
            },
            {
                endTime: "2026-11-05T10:00:00.000Z",
                distros: { debian12: { releases: ["2026-11-01"], keep: 2, promote: "2026-11-01" } },
            },
            {
                endTime: "2026-12-02T10:00:00.000Z",
                distros: {
                    debian12: {
                        releases: ["2026-11-01", "2026-12-01"],
                        keep: 2,
                        promote: "2026-11-01",
                    },
                },
            },
            {
                endTime: "2027-01-03T10:00:00.000Z",
                distros: {
                    debian12: {
                        releases: ["2026-11-01", "2026-12-01", "2027-01-01"],
                        keep: 2,
                        promote: "2026-12-01",
                    },
                },
            },
        ];

        it("says when each release was promoted and when its images were deleted", () => {
            const events = releaseEvents([...updates].reverse());
            assert.deepStrictEqual(events.get("debian12/2026-11-01"), {
                promotedAt: "2026-11-05T10:00:00.000Z",
                retiredAt: "2027-01-03T10:00:00.000Z",
            });
            assert.deepStrictEqual(events.get("debian12/2026-12-01"), {
                promotedAt: "2027-01-03T10:00:00.000Z",
                retiredAt: undefined,
            });
        });

        it("lists kept releases with their stage and result, and retired ones, newest first", () => {
            const plan = labPlan(
                {
                    releases: ["2026-11-01", "2026-12-01", "2027-01-01"],
                    keep: 2,
                    promote: "2026-12-01",
                },
                new Map([
                    [
                        "debian12-x86_64-bios-2026-12-01",
                        evidence({ osimages_test_result: "passed" }),
                    ],
                    [
                        "debian12-x86_64-uefi-2026-12-01",
                        evidence({ osimages_test_result: "passed" }),
                    ],
                    [
                        "debian12-x86_64-bios-2027-01-01",
                        evidence({ osimages_test_result: "failed" }),
                    ],
                    [
                        "debian12-x86_64-uefi-2027-01-01",
                        evidence({ osimages_test_result: "passed" }),
                    ],
                ]),
            );
            const history = historyEntries(plan, updates);
            assert.deepStrictEqual(
                history.map((h) => [h.release, h.stage, h.result, h.promotedAt, h.retiredAt]),
                [
                    ["2027-01-01", "test", "failed", undefined, undefined],
                    ["2026-12-01", "production", "passed", "2027-01-03T10:00:00.000Z", undefined],
                    [
                        "2026-11-01",
                        "retired",
                        undefined,
                        "2026-11-05T10:00:00.000Z",
                        "2027-01-03T10:00:00.000Z",
                    ],
                ],
            );
            assert.deepStrictEqual(history[1].keys, [
                "debian12-x86_64-bios-2026-12-01",
                "debian12-x86_64-uefi-2026-12-01",
            ]);
        });

        it("reads `pulumi stack history --json`: updates with the distros config they ran with", () => {
            const parsed = parseHistory(
                JSON.stringify([
                    {
                        kind: "update",
                        result: "succeeded",
                        endTime: "2026-12-07T05:40:00Z",
                        config: {
                            "os-image-pipeline:distros": {
                                value: '{"debian12":{"releases":["2026-11-01"]}}',
                                secret: false,
                            },
                        },
                    },
                    { kind: "update", result: "in-progress", config: {} },
                ]),
            );
            assert.deepStrictEqual(parsed, [
                {
                    endTime: "2026-12-07T05:40:00.000Z",
                    distros: { debian12: { releases: ["2026-11-01"] } },
                },
            ]);
        });
    });

    describe("pages", () => {
        const report: Report = {
            stack: "lab",
            generatedAt: "2026-12-07T06:00:00.000Z",
            useCases: ["unmanaged-virtual"],
            rows: [
                {
                    distro: "debian12",
                    displayName: "Debian 12 <lab>",
                    arch: "x86_64",
                    bootMode: "bios",
                    release: "2026-11-01",
                    stage: "production",
                    imageName: "DEBIAN12 - x86_64",
                    key: "debian12-x86_64-bios-2026-11-01",
                    evidence: evidence({ osimages_test_result: "passed" }),
                    cells: [
                        {
                            useCase: "unmanaged-virtual",
                            status: "known-flaky",
                            failed: [],
                            knownFlaky: ["site/ntp (a | b)"],
                            retries: 0,
                            files: { junit: "cells/k/unmanaged-virtual.junit.xml" },
                        },
                    ],
                },
            ],
            history: [],
        };

        it("Markdown: one table row per image, the status with its tests, pipes escaped", () => {
            const md = renderMarkdown(report);
            assert.match(
                md,
                /^\| debian12 x86_64 bios \| 2026-11-01 \| production \| ⚠️ passed, known flaky: site\/ntp \(a \\\| b\) \|$/m,
            );
            assert.match(md, /^- DEBIAN12 - x86_64: passed, tested 2026-11-03T08:00:00Z$/m);
            assert.match(md, /<details><summary>History<\/summary>/);
        });

        it("HTML: text escaped, files linked, no script and nothing from outside", () => {
            const html = renderHtml(report);
            assert.match(html, /Debian 12 &lt;lab&gt;/);
            assert.match(html, /<a href="cells\/k\/unmanaged-virtual\.junit\.xml">JUnit<\/a>/);
            assert.doesNotMatch(html, /<script|https?:\/\//);
        });
    });
});
