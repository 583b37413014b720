import * as assert from "assert";
import {
    evidenceFromProperties,
    hasPassed,
    refusalReason,
    restatedEvidence,
} from "../../model/evidence";
import { gatherEvidence } from "../../components/evidenceLookup";
import { parseStackConfig } from "../../config";
import { loadCatalogue } from "../../distros/catalogue";
import { imagesToCheck, planStack } from "../../model/plan";
import { passedImage, stackConfig } from "./harness";

const catalogue = loadCatalogue();
const d = { releases: ["2026-09-01", "2026-10-01", "2026-11-01"], keep: 3, promote: "2026-10-01" };

/** The example site with cs9 only, as given. */
function site(cs9: Record<string, unknown>) {
    return parseStackConfig(
        { ...stackConfig("site-example"), distros: { cs9 } },
        "stacks/Pulumi.site-example.yaml",
        catalogue,
    );
}

/** The stage the plan gives a release of cs9 x86_64. */
function stageOf(plan: ReturnType<typeof planStack>, release: string): string | undefined {
    return plan.pipelines[0].releases.find((r) => r.release === release)?.stage;
}

describe("evidence and the promotion gate", () => {
    it("reads passed evidence back, and restates exactly the evidence keys the step wrote", () => {
        const props = passedImage("cs9", "x86_64", "bios", "2026-10-01");
        const e = evidenceFromProperties(props);
        assert.strictEqual(e.result, "passed");
        assert.ok(hasPassed(e));
        assert.strictEqual(refusalReason(e), undefined);
        const restated = restatedEvidence(e);
        assert.deepStrictEqual(Object.keys(restated).sort(), [
            "osimages_test_result",
            "osimages_test_summary",
            "osimages_tested_at",
            "osimages_tested_sha256",
            "osimages_tested_use_cases",
        ]);
        for (const [k, v] of Object.entries(restated)) assert.strictEqual(v, props[k], k);
    });

    it("tells never built, not tested, pending (running or failed) and rebuilt apart", () => {
        assert.match(refusalReason(evidenceFromProperties(undefined))!, /never built and uploaded/);
        assert.match(
            refusalReason(evidenceFromProperties({ osimages_sha256: "a" }))!,
            /no test evidence yet/,
        );
        assert.match(
            refusalReason(
                evidenceFromProperties({
                    osimages_test_result: "pending",
                    osimages_tested_at: "2026-11-02T10:00:00Z",
                }),
            )!,
            /its tests have not passed \(pending since 2026-11-02T10:00:00Z: still running, or failed in that update\)/,
        );
        assert.match(
            refusalReason(
                evidenceFromProperties({
                    osimages_test_result: "passed",
                    osimages_sha256: "b",
                    osimages_tested_sha256: "a",
                }),
            )!,
            /evidence is for other bytes/,
        );
    });

    it("asks for every image of every kept release, per arch and firmware", () => {
        const reqs = imagesToCheck(site({ ...d, keep: 2 }), catalogue);
        assert.deepStrictEqual(reqs.map((r) => r.key).sort(), [
            "cs9-aarch64-uefi-2026-10-01",
            "cs9-aarch64-uefi-2026-11-01",
            "cs9-x86_64-bios-2026-10-01",
            "cs9-x86_64-bios-2026-11-01",
            "cs9-x86_64-uefi-2026-10-01",
            "cs9-x86_64-uefi-2026-11-01",
        ]);
    });

    it("refuses a promotion naming distro, arch, firmware and release of each unpassed image", async () => {
        const stack = site({ ...d, arches: ["x86_64"] });
        const glance: Record<string, Record<string, string>> = {
            "cs9-x86_64-bios-2026-10-01": passedImage("cs9", "x86_64", "bios", "2026-10-01"),
            "cs9-x86_64-bios-2026-09-01": passedImage("cs9", "x86_64", "bios", "2026-09-01"),
        };
        const evidence = await gatherEvidence(
            imagesToCheck(stack, catalogue),
            async (key) => glance[key],
        );
        const plan = planStack(stack, catalogue, evidence);
        assert.deepStrictEqual(plan.refusals, [
            "cannot promote cs9 x86_64 (uefi) release 2026-10-01: it was never built and uploaded (no Glance image carries its build key)",
        ]);
        // 2026-09-01 passed on BIOS only: not every firmware, so it is stale, not previous.
        assert.strictEqual(stageOf(plan, "2026-09-01"), "stale");
    });

    it("lets a release through when every firmware image passed", async () => {
        const stack = site({ ...d, arches: ["x86_64"] });
        const evidence = await gatherEvidence(imagesToCheck(stack, catalogue), async (key) => {
            const [, arch, mode, release] = key.match(/^cs9-(x86_64)-(bios|uefi)-(.*)$/)!;
            return passedImage("cs9", arch, mode, release);
        });
        const plan = planStack(stack, catalogue, evidence);
        assert.deepStrictEqual(plan.refusals, []);
        assert.strictEqual(stageOf(plan, "2026-09-01"), "previous");
    });
});
