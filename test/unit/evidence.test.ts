import * as assert from "assert";
import {
    evidenceFromProperties,
    evidenceProperties,
    hasPassed,
    refusalReason,
} from "../../components/evidence";
import {
    evidenceRequests,
    gatherEvidence,
    promotionRefusals,
    releasePassed,
} from "../../components/promotionGate";
import { loadCatalogue } from "../../distros/catalogue";
import { passedImage } from "./harness";

const cs9 = loadCatalogue().get("cs9")!;
const d = { releases: ["2026-09-01", "2026-10-01", "2026-11-01"], keep: 3, promote: "2026-10-01" };

describe("evidence and the promotion gate", () => {
    it("reads passed evidence back from the properties the evidence step writes", () => {
        const props = {
            osimages_sha256: "a".repeat(64),
            ...evidenceProperties({
                sha256: "a".repeat(64),
                summary: "9 passed",
                useCases: ["unmanaged-virtual"],
            }),
        };
        const e = evidenceFromProperties(props);
        assert.strictEqual(e.result, "passed");
        assert.ok(hasPassed(e));
        assert.strictEqual(refusalReason(e), undefined);
    });

    it("tells never built, not tested, failed and rebuilt apart", () => {
        assert.match(refusalReason(evidenceFromProperties(undefined))!, /never built and uploaded/);
        assert.match(
            refusalReason(evidenceFromProperties({ osimages_sha256: "a" }))!,
            /no test evidence yet/,
        );
        assert.match(
            refusalReason(
                evidenceFromProperties({
                    osimages_test_result: "failed",
                    osimages_test_summary: "1 failed",
                }),
            )!,
            /tests failed \(1 failed\)/,
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

    it("asks only for releases at or below the pointer, per arch and firmware", () => {
        const reqs = evidenceRequests("cs9", cs9, d, ["x86_64", "aarch64"]);
        assert.deepStrictEqual(reqs.map((r) => r.key).sort(), [
            "cs9-aarch64-uefi-2026-09-01",
            "cs9-aarch64-uefi-2026-10-01",
            "cs9-x86_64-bios-2026-09-01",
            "cs9-x86_64-bios-2026-10-01",
            "cs9-x86_64-uefi-2026-09-01",
            "cs9-x86_64-uefi-2026-10-01",
        ]);
        assert.deepStrictEqual(
            evidenceRequests("cs9", cs9, { ...d, promote: undefined }, ["x86_64"]),
            [],
        );
    });

    it("refuses a promotion naming distro, arch, firmware and release of each unpassed image", async () => {
        const reqs = evidenceRequests("cs9", cs9, d, ["x86_64"]);
        const glance: Record<string, Record<string, string>> = {
            "cs9-x86_64-bios-2026-10-01": passedImage("cs9", "x86_64", "bios", "2026-10-01"),
        };
        const evidence = await gatherEvidence(reqs, async (key) => glance[key]);
        assert.deepStrictEqual(
            promotionRefusals(reqs, evidence, () => "2026-10-01"),
            [
                "cannot promote cs9 x86_64 (uefi) release 2026-10-01: it was never built and uploaded (no Glance image carries its build key)",
            ],
        );
        assert.strictEqual(releasePassed(reqs, evidence, "x86_64", "2026-10-01"), false);
    });

    it("lets a release through when every firmware image passed", async () => {
        const reqs = evidenceRequests("cs9", cs9, d, ["x86_64"]);
        const evidence = await gatherEvidence(reqs, async (key) => {
            const [, arch, mode, release] = key.match(/^cs9-(x86_64)-(bios|uefi)-(.*)$/)!;
            return passedImage("cs9", arch, mode, release);
        });
        assert.deepStrictEqual(
            promotionRefusals(reqs, evidence, () => "2026-10-01"),
            [],
        );
        assert.ok(releasePassed(reqs, evidence, "x86_64", "2026-09-01"));
    });
});
