import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { gatherEvidence } from "../../components/evidenceLookup";
import { loadStack, parseStackConfig, readStackFile, StackConfig } from "../../config";
import { loadCatalogue } from "../../distros/catalogue";
import { compareReleases } from "../../model/lifecycle";
import { imagesToCheck, planStack } from "../../model/plan";
import { cliLookup, planLines, readEvidence } from "../../scripts/dev/plan";
import { byType, passedImage, runProgram } from "./harness";

const ROOT = path.join(__dirname, "..", "..");
const catalogue = loadCatalogue();
const SECRETS = { sshPrivateKey: "k", vendorToken: "v", cloudPasswords: { production: "p" } };

function stackOf(name: string, edit: (raw: Record<string, unknown>) => void = () => undefined) {
    const { file, raw } = readStackFile(ROOT, name);
    edit(raw);
    return { raw, stack: parseStackConfig(raw, file, catalogue) };
}

function lines(name: string, edit?: (raw: Record<string, unknown>) => void): string[] {
    return planLines(planStack(stackOf(name, edit).stack, catalogue));
}

/** Glance where every image of every release up to `upTo` passed. */
function glanceUpTo(stack: StackConfig, upTo: string): Record<string, Record<string, string>> {
    return Object.fromEntries(
        imagesToCheck(stack, catalogue)
            .filter((i) => compareReleases(i.release, upTo) <= 0)
            .map((i) => [i.key, passedImage(i.distro, i.arch, i.bootMode, i.release)]),
    );
}

/** Plan rows as (name, visibility) pairs, the way the program registers images. */
function rowsOfPlan(out: string[]): string[] {
    return out
        .map((l) => /^ {2}\S+ +\S+ +(.+?) {2,}(public|shared)(, hidden)?/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => `${m[1].trim()} | ${m[2]}${m[3] ?? ""}`)
        .sort();
}

describe("npm run plan", () => {
    it("shows each kept release's stage, Glance name, visibility and tests", () => {
        const out = lines("site-example");
        assert.ok(out.includes("cs9 x86_64 (koji build)"));
        const row = (needle: string) => out.find((l) => l.includes(needle)) ?? "";
        assert.match(
            row("CS9 - x86_64 [2026-09-01] "),
            /^ {2}2026-09-01 +previous +CS9 - x86_64 \[2026-09-01\] +public, hidden$/,
        );
        assert.match(row("CS9 - x86_64  "), /^ {2}2026-10-01 +production +CS9 - x86_64 +public$/);
        assert.match(
            row("CS9 - aarch64 [2026-11-01] TEST"),
            /shared +tests: unmanaged-virtual, managed-virtual, unmanaged-physical, managed-physical$/,
        );
    });

    it("lists retired and vendor-skipped releases", () => {
        const out = lines("site-example", (raw) => {
            const distros = raw.distros as Record<string, Record<string, unknown>>;
            distros.rhel9 = {
                releases: ["2026-09-01", "2026-10-01", "2026-11-01"],
                keep: 2,
                vendorVersions: { "2026-10-01": "9.6", "2026-11-01": "9.6" },
            };
        });
        assert.ok(out.includes("  2026-09-01    retired    (deleted from Glance)"), out.join("\n"));
        assert.ok(
            out.includes("  2026-11-01    skipped    (no new vendor version)"),
            out.join("\n"),
        );
    });

    for (const name of ["lab", "lab-aarch64", "site-example"]) {
        it(`agrees with the program under mocks on stacks/Pulumi.${name}.yaml: the same images, names and visibility`, async () => {
            const { raw, stack } = stackOf(name);
            const glance = glanceUpTo(stack, "2026-10-01");
            const program = await runProgram(name, raw, { glance, secrets: SECRETS });
            const registered = byType(program.resources, "openstack:images/image:Image")
                .map((r) => {
                    const hidden = r.inputs.hidden ? ", hidden" : "";
                    return `${String(r.inputs.name)} | ${String(r.inputs.visibility)}${hidden}`;
                })
                .sort();
            const evidence = await gatherEvidence(
                imagesToCheck(stack, catalogue),
                async (k) => glance[k],
            );
            assert.deepStrictEqual(
                rowsOfPlan(planLines(planStack(stack, catalogue, evidence))),
                registered,
            );
        });
    }

    it("refuses the same promotions as the program, with the same lines", async () => {
        const { raw, stack } = stackOf("site-example");
        const glance = glanceUpTo(stack, "2026-10-01");
        delete glance["cs9-aarch64-uefi-2026-10-01"];
        glance["alma9-x86_64-bios-2026-10-01"].osimages_test_result = "pending";
        const evidence = await gatherEvidence(
            imagesToCheck(stack, catalogue),
            async (k) => glance[k],
        );
        const plan = planStack(stack, catalogue, evidence);
        assert.deepStrictEqual(plan.refusals.length, 2, plan.refusals.join("\n"));
        const refused = plan.pipelines
            .flatMap((p) => p.releases.flatMap((r) => r.images))
            .filter((i) => i.refusal !== undefined)
            .map((i) => `${i.key}: ${i.refusal}`);
        assert.deepStrictEqual(refused, [
            "cs9-aarch64-uefi-2026-10-01: it was never built and uploaded (no Glance image carries its build key)",
            "alma9-x86_64-bios-2026-10-01: its tests have not passed (pending since 2026-10-03T08:00:00Z: still running, or failed in that update)",
        ]);
        await assert.rejects(
            runProgram("site-example", raw, { glance, secrets: SECRETS }),
            (e: Error) => {
                assert.deepStrictEqual(e.message.split("\n").slice(1), plan.refusals);
                return true;
            },
        );
        const out = planLines(plan);
        assert.deepStrictEqual(out.slice(-3), [
            "promotion refused by the evidence gate:",
            ...plan.refusals,
        ]);
    });

    it("says the evidence is unknown without a cloud, and refuses nothing then", async () => {
        const { stack } = stackOf("site-example");
        const read = await readEvidence(stack, catalogue, undefined);
        assert.deepStrictEqual(read, { unknown: "evidence unknown: no cloud" });
        assert.deepStrictEqual(planStack(stack, catalogue, undefined).refusals, []);
    });

    it("reads evidence from Glance with the openstack CLI, listed images first, then hidden ones", async () => {
        const bin = fs.mkdtempSync(path.join(os.tmpdir(), "osip-plan-"));
        const log = path.join(bin, "calls");
        // A stand-in openstack CLI: one hidden image carries cs9-x86_64-bios-2026-09-01.
        fs.writeFileSync(
            path.join(bin, "openstack"),
            `#!/bin/sh
echo "$*" >> ${log}
case "$*" in
  *"image list --hidden --property osimages_build_key=cs9-x86_64-bios-2026-09-01"*) echo '[{"ID": "img-1"}]' ;;
  *"image list"*) echo '[]' ;;
  *"image show img-1"*) echo '{"properties": {"osimages_build_key": "cs9-x86_64-bios-2026-09-01", "osimages_test_result": "pending"}}' ;;
  *) echo "unexpected: $*" >&2; exit 1 ;;
esac
`,
            { mode: 0o755 },
        );
        const PATH = process.env.PATH;
        process.env.PATH = `${bin}:${PATH}`;
        try {
            const { stack } = stackOf("site-example");
            const lookup = cliLookup(stack.clouds.production);
            assert.deepStrictEqual(await lookup("cs9-x86_64-bios-2026-09-01"), {
                osimages_build_key: "cs9-x86_64-bios-2026-09-01",
                osimages_test_result: "pending",
            });
            assert.strictEqual(await lookup("cs9-x86_64-uefi-2026-09-01"), undefined);
            const calls = fs.readFileSync(log, "utf8");
            assert.match(
                calls,
                /^--os-cloud site-prod --os-project-name linux-images --os-region-name site-1 image list --property osimages_build_key=cs9-x86_64-bios-2026-09-01 -f json$/m,
            );
        } finally {
            process.env.PATH = PATH;
            fs.rmSync(bin, { recursive: true, force: true });
        }
    });

    it("refuses a promotion pointer on a vendor-skipped release, as the program does", () => {
        assert.throws(
            () =>
                stackOf("site-example", (raw) => {
                    const distros = raw.distros as Record<string, Record<string, unknown>>;
                    distros.rhel9 = {
                        releases: ["2026-10-01", "2026-11-01"],
                        promote: "2026-11-01",
                        vendorVersions: { "2026-10-01": "9.6", "2026-11-01": "9.6" },
                    };
                }),
            /distros\.rhel9\.promote: 2026-11-01 is skipped \(same vendor version as the release before it\)/,
        );
    });

    it("reads a stack file with its secrets set as the README says (pulumi config set --secret)", () => {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "osip-secrets-"));
        try {
            fs.mkdirSync(path.join(root, "stacks"));
            const shipped = fs.readFileSync(
                path.join(ROOT, "stacks", "Pulumi.site-example.yaml"),
                "utf8",
            );
            fs.writeFileSync(
                path.join(root, "stacks", "Pulumi.site.yaml"),
                `${shipped}    os-image-pipeline:sshPrivateKey:\n        secure: v1:AAAA\n` +
                    `    os-image-pipeline:cloudPasswords:\n        production:\n            secure: v1:BBBB\n`,
            );
            const input = readStackFile(root, "site");
            assert.deepStrictEqual(input.keys, { unknown: [], plainSecrets: [] });
            assert.strictEqual(loadStack(input).stack.testing.keyPair, "linux-images-ci");
        } finally {
            fs.rmSync(root, { recursive: true, force: true });
        }
    });

    it("exits 1 naming the stack file and field on bad config", () => {
        const r = spawnSync(
            "npx",
            ["ts-node", "--transpile-only", "scripts/dev/plan.ts", "nosuch"],
            {
                cwd: ROOT,
                encoding: "utf8",
            },
        );
        assert.strictEqual(r.status, 1);
        assert.match(r.stderr, /stacks\/Pulumi\.nosuch\.yaml: no such stack file/);
    });
});

describe("the plan: which release's container gets the public tags", () => {
    const publishers = (publishOn: string, promote?: string) =>
        planStack(
            stackOf("lab", (raw) => {
                (raw.registries as Record<string, unknown>).publishOn = publishOn;
                const distros = raw.distros as Record<string, Record<string, unknown>>;
                distros.debian12.releases = ["2026-10-01", "2026-11-01"];
                if (promote) distros.debian12.promote = promote;
            }).stack,
            catalogue,
        ).pipelines[0].releases.map((r) => `${r.release} ${r.publishContainer}`);

    it("tested: the newest release, whatever is promoted", () => {
        assert.deepStrictEqual(publishers("tested", "2026-10-01"), [
            "2026-10-01 false",
            "2026-11-01 true",
        ]);
    });

    it("promoted: the promotion pointer, and none before a promotion", () => {
        assert.deepStrictEqual(publishers("promoted", "2026-10-01"), [
            "2026-10-01 true",
            "2026-11-01 false",
        ]);
        assert.deepStrictEqual(publishers("promoted"), ["2026-10-01 false", "2026-11-01 false"]);
    });
});
