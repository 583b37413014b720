import * as assert from "assert";
import { crossCheck, parseStackConfig, StackConfig } from "../../config";
import { compareReleases, keptReleases } from "../../model/lifecycle";
import { loadCatalogue } from "../../distros/catalogue";
import { stackConfig } from "./harness";

const FILE = "stacks/Pulumi.t.yaml";
const catalogue = loadCatalogue();

function lab(): Record<string, unknown> {
    return structuredClone(stackConfig("lab"));
}

function withDistros(distros: Record<string, unknown>): Record<string, unknown> {
    return { ...lab(), distros };
}

describe("stack config", () => {
    it("parses the lab and the site-example stacks", () => {
        const labCfg = parseStackConfig(lab(), FILE, catalogue);
        assert.strictEqual(labCfg.testing.backend, "lab");
        assert.deepStrictEqual(labCfg.distros.debian12.releases, ["2026-11-01"]);
        const site = parseStackConfig(stackConfig("site-example"), FILE, catalogue);
        assert.strictEqual(site.distros.cs9.promote, "2026-10-01");
        assert.strictEqual(site.builders.koji?.profile, "site");
    });

    it("fills defaults: keep 3, scratch false, suite timeout", () => {
        const cfg = parseStackConfig(
            withDistros({ debian12: { releases: ["2026-11-01"] } }),
            FILE,
            catalogue,
        );
        assert.strictEqual(cfg.distros.debian12.keep, 3);
        assert.strictEqual(cfg.testing.suiteTimeout, "20m");
    });

    it("refuses an unknown distro, naming the file, the field and the known ones", () => {
        assert.throws(
            () =>
                parseStackConfig(
                    withDistros({ fedora41: { releases: ["2026-11-01"] } }),
                    FILE,
                    catalogue,
                ),
            /stacks\/Pulumi\.t\.yaml: distros\.fedora41: unknown distro "fedora41" \(the catalogue has: .*debian12/,
        );
    });

    it("refuses an arch the distro is not built for", () => {
        const raw = withDistros({
            debian12: { arches: ["aarch64", "x86_64"], releases: ["2026-11-01"] },
        });
        raw.distros = { cc7: { arches: ["aarch64"], releases: ["2026-11-01"] } };
        assert.throws(
            () => parseStackConfig(raw, FILE, catalogue),
            /distros\.cc7\.arches: cc7 is not built for aarch64/,
        );
    });

    it("refuses an unknown arch value through the schema", () => {
        const raw = withDistros({ debian12: { arches: ["s390x"], releases: ["2026-11-01"] } });
        assert.throws(
            () => parseStackConfig(raw, FILE, catalogue),
            /stacks\/Pulumi\.t\.yaml: distros\.debian12\.arches\.0: /,
        );
    });

    it("refuses a malformed release id and names it", () => {
        const raw = withDistros({ debian12: { releases: ["2026-13-01"] } });
        assert.throws(
            () => parseStackConfig(raw, FILE, catalogue),
            /distros\.debian12\.releases\.0: a build id like 2026-11-01/,
        );
    });

    it("takes an unquoted date (a YAML timestamp) back to the release id written", () => {
        const raw = withDistros({
            debian12: {
                releases: ["2026-10-01 00:00:00 +0000 UTC", "2026-11-01T00:00:00Z"],
                promote: "2026-10-01 00:00:00 +0000 UTC",
            },
        });
        const cfg = parseStackConfig(raw, FILE, catalogue);
        assert.deepStrictEqual(cfg.distros.debian12.releases, ["2026-10-01", "2026-11-01"]);
        assert.strictEqual(cfg.distros.debian12.promote, "2026-10-01");
    });

    it("refuses a promotion pointer outside the kept releases", () => {
        const raw = withDistros({
            debian12: {
                releases: ["2026-09-01", "2026-10-01", "2026-11-01"],
                keep: 2,
                promote: "2026-09-01",
            },
        });
        assert.throws(
            () => parseStackConfig(raw, FILE, catalogue),
            /distros\.debian12\.promote: 2026-09-01 is not one of the kept releases \(2026-10-01, 2026-11-01\)/,
        );
    });

    it("refuses unknown keys (typos) instead of ignoring them", () => {
        const raw = withDistros({ debian12: { releases: ["2026-11-01"], promte: "2026-11-01" } });
        assert.throws(() => parseStackConfig(raw, FILE, catalogue), /distros\.debian12: .*promte/);
    });

    it("reports every problem at once", () => {
        const raw = {
            ...lab(),
            registries: { internal: "Bad Host", public: "x" },
            distros: { nope: { releases: [] } },
        };
        try {
            parseStackConfig(raw, FILE, catalogue);
            assert.fail("expected a throw");
        } catch (e) {
            const msg = (e as Error).message;
            assert.match(msg, /registries\.internal: host\[:port\]\/path/);
            assert.match(msg, /distros\.nope\.releases: /);
        }
    });

    it("requires the Koji builder, target and install tree of a Koji distro", () => {
        const raw = withDistros({ cs9: { releases: ["2026-11-01"] } });
        assert.throws(
            () => parseStackConfig(raw, FILE, catalogue),
            /builders\.koji: required by cs9/,
        );
        raw.builders = {
            koji: {
                hub: "https://koji.example.org/kojihub",
                profile: "p",
                targets: {},
                installTrees: {},
            },
        };
        assert.throws(
            () => parseStackConfig(raw, FILE, catalogue),
            /builders\.koji\.targets\.cs9: missing[\s\S]*builders\.koji\.installTrees\.cs9: missing/,
        );
    });

    it("requires a vendor version for every kept vendor release", () => {
        const raw = {
            ...withDistros({
                rhel9: {
                    releases: ["2026-10-01", "2026-11-01"],
                    vendorVersions: { "2026-10-01": "9.6" },
                },
            }),
            builders: { vendor: { url: "https://vendor.example.org" } },
        };
        assert.throws(
            () => parseStackConfig(raw, FILE, catalogue),
            /distros\.rhel9\.vendorVersions\.2026-11-01: missing/,
        );
    });

    it("requires the nova backend's flavors, network and key pair, and a physical flavor for physical use cases", () => {
        const cfg = parseStackConfig(stackConfig("site-example"), FILE, catalogue) as StackConfig;
        const broken: StackConfig = {
            ...cfg,
            testing: { ...cfg.testing, flavors: { virtual: "m1" }, network: undefined },
        };
        const problems = crossCheck(broken, catalogue);
        assert.ok(
            problems.includes(
                "testing.flavors.physical: required by the use cases unmanaged-physical, managed-physical",
            ),
            problems.join("\n"),
        );
        assert.ok(problems.includes("testing.network: required by the nova backend"));
    });

    it("refuses a distro none of whose use cases the site runs", () => {
        const raw = lab();
        (raw.testing as Record<string, unknown>).useCases = ["unmanaged-physical"];
        assert.throws(
            () => parseStackConfig(raw, FILE, catalogue),
            /distros\.debian12: none of its use cases \(unmanaged-virtual, managed-virtual\) is in testing\.useCases/,
        );
    });

    it("requires the agent for managed use cases", () => {
        const raw = lab();
        delete (raw.testing as Record<string, unknown>).agent;
        assert.throws(
            () => parseStackConfig(raw, FILE, catalogue),
            /testing\.agent: required by the managed use cases/,
        );
    });

    it("refuses agent settings that are not a host name, an environment name or an address", () => {
        for (const [field, value, message] of [
            ["server", "puppet server; rm -rf /", /testing\.agent\.server: a host name/],
            ["environment", "prod-2", /testing\.agent\.environment: a Puppet environment name/],
            ["address", "10.0.2", /testing\.agent\.address/],
        ] as const) {
            const raw = lab();
            const testing = raw.testing as { agent: Record<string, string> };
            testing.agent = { ...testing.agent, [field]: value };
            assert.throws(() => parseStackConfig(raw, FILE, catalogue), message);
        }
        const raw = lab();
        (raw.testing as { agent: Record<string, string> }).agent.address = "fd00::100";
        assert.strictEqual(
            parseStackConfig(raw, FILE, catalogue).testing.agent?.address,
            "fd00::100",
        );
    });

    it("keeps the newest releases, ordered by date then respin", () => {
        assert.deepStrictEqual(
            keptReleases({
                releases: ["2026-11-01", "2026-09-01", "2026-11-01.1", "2026-10-01"],
                keep: 3,
            }),
            ["2026-10-01", "2026-11-01", "2026-11-01.1"],
        );
        assert.ok(compareReleases("2026-11-01.2", "2026-11-01.10") < 0);
        assert.ok(compareReleases("2026-12-01", "2026-11-30") > 0);
    });
});
