import * as assert from "assert";
import {
    bootModesOf,
    buildKey,
    imageName,
    planReleases,
    releaseSet,
    retiredReleases,
    variantLabel,
    vendorSkips,
    visibility,
} from "../../model/lifecycle";
import { loadCatalogue } from "../../distros/catalogue";

const catalogue = loadCatalogue();
const cs9 = catalogue.get("cs9")!;
const releases = ["2026-08-01", "2026-09-01", "2026-10-01", "2026-11-01"];

describe("release lifecycle", () => {
    it("tests everything while nothing is promoted", () => {
        const plan = planReleases({ releases, keep: 3 }, () => assert.fail("no evidence needed"));
        assert.deepStrictEqual(plan, [
            { release: "2026-09-01", stage: "test" },
            { release: "2026-10-01", stage: "test" },
            { release: "2026-11-01", stage: "test" },
        ]);
    });

    it("publishes the pointer, demotes passed older releases, keeps newer ones in test", () => {
        const plan = planReleases({ releases, keep: 3, promote: "2026-10-01" }, () => true);
        assert.deepStrictEqual(
            plan.map((p) => p.stage),
            ["previous", "production", "test"],
        );
    });

    it("never publishes an older release that did not pass: it goes stale", () => {
        const asked: string[] = [];
        const plan = planReleases({ releases, keep: 3, promote: "2026-11-01" }, (r) => {
            asked.push(r);
            return r !== "2026-09-01";
        });
        assert.deepStrictEqual(
            plan.map((p) => p.stage),
            ["stale", "previous", "production"],
        );
        assert.deepStrictEqual(asked, ["2026-09-01", "2026-10-01"]);
    });

    it("retires releases beyond keep", () => {
        assert.deepStrictEqual(retiredReleases({ releases, keep: 2 }), [
            "2026-08-01",
            "2026-09-01",
        ]);
        assert.deepStrictEqual(retiredReleases({ releases, keep: 5 }), []);
    });

    it("names images CERN-style per stage", () => {
        assert.strictEqual(
            imageName(cs9, "x86_64", "bios", "2026-11-01", "test"),
            "CS9 - x86_64 [2026-11-01] TEST",
        );
        assert.strictEqual(
            imageName(cs9, "x86_64", "bios", "2026-11-01", "production"),
            "CS9 - x86_64",
        );
        assert.strictEqual(
            imageName(cs9, "x86_64", "bios", "2026-10-01", "previous"),
            "CS9 - x86_64 [2026-10-01]",
        );
        assert.strictEqual(
            imageName(cs9, "x86_64", "uefi", "2026-11-01", "production"),
            "CS9 - x86_64 UEFI",
        );
        assert.strictEqual(
            imageName(cs9, "x86_64", "bios", "2026-09-01", "stale"),
            "CS9 - x86_64 [2026-09-01] TEST",
        );
    });

    it("labels UEFI only where an arch has both firmwares", () => {
        assert.strictEqual(variantLabel(cs9, "aarch64", "uefi"), "aarch64");
        assert.strictEqual(variantLabel(cs9, "x86_64", "uefi"), "x86_64 UEFI");
    });

    it("maps stages to visibility and os_hidden", () => {
        assert.deepStrictEqual(visibility("production"), { visibility: "public", hidden: false });
        assert.deepStrictEqual(visibility("previous"), { visibility: "public", hidden: true });
        assert.deepStrictEqual(visibility("test"), { visibility: "shared", hidden: false });
        assert.deepStrictEqual(visibility("stale"), { visibility: "shared", hidden: true });
    });

    it("keys images by distro, arch, firmware and release", () => {
        assert.strictEqual(
            buildKey("cs9", "aarch64", "uefi", "2026-11-01.1"),
            "cs9-aarch64-uefi-2026-11-01.1",
        );
    });

    it("skips vendor releases that bring no new vendor version", () => {
        const d = {
            releases: ["2026-09-01", "2026-10-01", "2026-11-01"],
            keep: 3,
            vendorVersions: { "2026-09-01": "9.5", "2026-10-01": "9.6", "2026-11-01": "9.6" },
        };
        assert.deepStrictEqual(vendorSkips(d), ["2026-11-01"]);
        assert.deepStrictEqual(vendorSkips({ ...d, vendorVersions: undefined }), []);
    });

    it("applies keep once, then vendor skips: a skip never brings a retired release back", () => {
        const d = {
            releases: ["2026-08-01", "2026-09-01", "2026-10-01", "2026-11-01"],
            keep: 3,
            vendorVersions: { "2026-09-01": "9.5", "2026-10-01": "9.6", "2026-11-01": "9.6" },
        };
        assert.deepStrictEqual(releaseSet(d), {
            kept: ["2026-09-01", "2026-10-01"],
            skipped: ["2026-11-01"],
            retired: ["2026-08-01"],
        });
    });

    it("knows each arch's firmwares", () => {
        assert.deepStrictEqual(bootModesOf(cs9, "x86_64"), ["bios", "uefi"]);
        assert.deepStrictEqual(bootModesOf(catalogue.get("cc7")!, "aarch64"), []);
    });
});
