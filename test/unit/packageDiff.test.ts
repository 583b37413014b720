import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    diffManifests,
    manifestDigest,
    MANIFEST_HEADER,
    parseManifest,
} from "../../model/packages";
import { BuildRecord, packageDiffOf, renderPackageDiff } from "../../report/packageDiff";
import { DPKG_CANDIDATE, DPKG_PRODUCTION, RPM_CANDIDATE, RPM_PRODUCTION } from "./packageFixtures";

const PRODUCTION_SHA = "a".repeat(64);
const CANDIDATE_SHA = "b".repeat(64);

/** A work dir and a build cache laid out as the build scripts leave them. */
function runner() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "osip-pkgdiff-"));
    const workDir = path.join(dir, "work");
    const env = { OSIP_CACHE: path.join(dir, "cache") };
    const write = (root: string, b: BuildRecord, format: string, body: string) => {
        const out = path.join(root, b.distro, b.arch, b.release);
        fs.mkdirSync(out, { recursive: true });
        const stem = `${b.distro}-${b.arch}-${b.release}-${b.sha256!.slice(0, 12)}`;
        fs.writeFileSync(path.join(out, `${stem}.qcow2`), "qcow2");
        fs.writeFileSync(
            path.join(out, `${stem}.packages`),
            `${MANIFEST_HEADER}${format}\n${body}`,
        );
    };
    return { workDir, env, write, builds: path.join(dir, "cache", "builds") };
}

const build = (distro: string, release: string, sha256: string): BuildRecord => ({
    distro,
    arch: "x86_64",
    release,
    sha256,
});

describe("package diff for the merge request note", () => {
    it("finds the local builder's manifests under the work dir, by the artefact's sha256", () => {
        const r = runner();
        const production = build("debian12", "2026-10-01", PRODUCTION_SHA);
        const candidate = build("debian12", "2026-11-01", CANDIDATE_SHA);
        r.write(r.workDir, production, "dpkg", DPKG_PRODUCTION);
        r.write(r.workDir, candidate, "dpkg", DPKG_CANDIDATE);
        const found = packageDiffOf(r.workDir, production, candidate, r.env);
        assert.ok(found.ok, found.ok ? "" : found.reason);
        assert.deepStrictEqual(
            found.value,
            diffManifests(
                parseManifest(DPKG_PRODUCTION, "p", "dpkg"),
                parseManifest(DPKG_CANDIDATE, "c", "dpkg"),
            ),
        );
    });

    it("finds Koji and vendor builds' manifests in the runner's build cache", () => {
        const r = runner();
        const production = build("cs9", "2026-10-01", PRODUCTION_SHA);
        const candidate = build("cs9", "2026-11-01", CANDIDATE_SHA);
        r.write(r.builds, production, "rpm", RPM_PRODUCTION);
        r.write(r.builds, candidate, "rpm", RPM_CANDIDATE);
        const found = packageDiffOf(r.workDir, production, candidate, r.env);
        assert.ok(found.ok, found.ok ? "" : found.reason);
        assert.strictEqual(found.value.format, "rpm");
        assert.strictEqual(found.value.upgraded[0].name, "kernel");
    });

    it("says which manifest it did not find, and which does not match Glance's digest", () => {
        const r = runner();
        const production = build("debian12", "2026-10-01", PRODUCTION_SHA);
        const candidate = build("debian12", "2026-11-01", CANDIDATE_SHA);
        r.write(r.workDir, candidate, "dpkg", DPKG_CANDIDATE);
        const missing = packageDiffOf(r.workDir, production, candidate, r.env);
        assert.deepStrictEqual(missing, {
            ok: false,
            reason: `manifest not found: ${path.join(r.workDir, "debian12/x86_64/2026-10-01", "*-aaaaaaaaaaaa.packages")} or ${path.join(r.builds, "debian12/x86_64/2026-10-01", "*-aaaaaaaaaaaa.packages")}`,
        });
        // Another build of the same release (another sha256) is not this one's manifest.
        r.write(r.workDir, { ...production, sha256: "c".repeat(64) }, "dpkg", DPKG_PRODUCTION);
        assert.match(
            (packageDiffOf(r.workDir, production, candidate, r.env) as { reason: string }).reason,
            /^manifest not found: /,
        );
        r.write(r.workDir, production, "dpkg", DPKG_PRODUCTION);
        const digest = manifestDigest(parseManifest(DPKG_CANDIDATE, "c", "dpkg"));
        assert.ok(
            packageDiffOf(r.workDir, production, { ...candidate, manifestSha256: digest }, r.env)
                .ok,
        );
        const wrong = packageDiffOf(
            r.workDir,
            production,
            { ...candidate, manifestSha256: "0".repeat(64) },
            r.env,
        );
        assert.match(
            (wrong as { reason: string }).reason,
            new RegExp(
                `^manifest \\S+-bbbbbbbbbbbb\\.packages has digest ${digest}, but the image says 0{64}$`,
            ),
        );
    });

    it("renders the kernel change first, the counts, and a capped table", () => {
        const diff = diffManifests(
            parseManifest(RPM_PRODUCTION, "p", "rpm"),
            parseManifest(RPM_CANDIDATE, "c", "rpm"),
        );
        const text = renderPackageDiff(diff);
        const lines = text.split("\n");
        assert.strictEqual(
            lines[0],
            "**Packages** (rpm): 3 upgraded, 1 downgraded, 1 added, 1 removed",
        );
        assert.ok(
            text.includes("Kernel: `kernel` 0:5.14.0-427.el9 → 0:5.14.0-503.14.1.el9_5"),
            text,
        );
        const rows = lines.filter((l) => /^\| (upgraded|downgraded|added|removed) /.test(l));
        assert.deepStrictEqual(
            rows.map((l) => l.split(" | ").slice(0, 2).join(" ")),
            [
                "| upgraded kernel",
                "| upgraded kernel-core",
                "| upgraded openssl",
                "| downgraded cloud-init",
                "| added tuned",
                "| removed glibc",
            ],
        );
        const capped = renderPackageDiff(diff, 2).split("\n");
        assert.strictEqual(capped.filter((l) => /^\| (upgraded|added|removed)/.test(l)).length, 2);
        assert.strictEqual(capped[capped.length - 1], "and 4 more");
        const same = parseManifest(RPM_PRODUCTION, "p", "rpm");
        assert.strictEqual(
            renderPackageDiff(diffManifests(same, same)),
            "**Packages** (rpm): no change",
        );
    });
});
