import * as assert from "assert";
import { spawnSync } from "child_process";
import * as path from "path";
import { parseStackConfig, readStackFile } from "../../config";
import { loadCatalogue } from "../../distros/catalogue";
import { planLines } from "../../scripts/plan";

const ROOT = path.join(__dirname, "..", "..");
const catalogue = loadCatalogue();

function plan(
    stack: string,
    edit: (raw: Record<string, unknown>) => void = () => undefined,
): string[] {
    const { file, raw } = readStackFile(ROOT, stack);
    edit(raw);
    return planLines(parseStackConfig(raw, file, catalogue), catalogue);
}

describe("npm run plan", () => {
    it("shows each kept release's stage, Glance name, visibility and tests", () => {
        const lines = plan("site-example");
        assert.ok(lines.includes("cs9 x86_64 (koji build)"));
        const row = (needle: string) => lines.find((l) => l.includes(needle)) ?? "";
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
        const lines = plan("site-example", (raw) => {
            const distros = raw.distros as Record<string, Record<string, unknown>>;
            distros.rhel9 = {
                releases: ["2026-09-01", "2026-10-01", "2026-11-01"],
                keep: 2,
                vendorVersions: { "2026-10-01": "9.6", "2026-11-01": "9.6" },
            };
        });
        assert.ok(
            lines.includes("  2026-09-01    retired    (deleted from Glance)"),
            lines.join("\n"),
        );
        assert.ok(
            lines.includes("  2026-11-01    skipped    (no new vendor version)"),
            lines.join("\n"),
        );
    });

    it("exits 1 naming the stack file and field on bad config", () => {
        const r = spawnSync("npx", ["ts-node", "--transpile-only", "scripts/plan.ts", "nosuch"], {
            cwd: ROOT,
            encoding: "utf8",
        });
        assert.strictEqual(r.status, 1);
        assert.match(r.stderr, /stacks\/Pulumi\.nosuch\.yaml: no such stack file/);
    });
});
