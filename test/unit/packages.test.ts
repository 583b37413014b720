import * as assert from "assert";
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    diffManifests,
    formatManifest,
    isKernelPackage,
    Manifest,
    MANIFEST_HEADER,
    manifestDigest,
    parseManifest,
} from "../../model/packages";
import { DPKG_CANDIDATE, DPKG_PRODUCTION, RPM_CANDIDATE, RPM_PRODUCTION } from "./packageFixtures";

const ROOT = path.join(__dirname, "..", "..");

const file = (format: string, body: string) => `${MANIFEST_HEADER}${format}\n${body}`;

describe("package manifests", () => {
    it("parses dpkg's query output: Debian versions as dpkg prints them, epochs only when set", () => {
        const m = parseManifest(file("dpkg", DPKG_PRODUCTION), "prod.packages");
        assert.strictEqual(m.format, "dpkg");
        assert.strictEqual(m.entries.length, 7);
        assert.deepStrictEqual(m.entries[5], {
            name: "openssh-server",
            version: "1:9.2p1-2+deb12u3",
            arch: "amd64",
        });
    });

    it("parses rpm's query output: several versions of one name, gpg-pubkey's (none) arch", () => {
        const m = parseManifest(RPM_PRODUCTION, "rpm-qa.txt", "rpm");
        assert.strictEqual(m.format, "rpm");
        assert.deepStrictEqual(
            m.entries.filter((e) => e.name === "kernel").map((e) => e.version),
            ["0:5.14.0-427.el9", "0:5.14.0-503.11.1.el9_5"],
        );
        assert.deepStrictEqual(m.entries[4], {
            name: "gpg-pubkey",
            version: "0:8483c65d-5ccc5b19",
            arch: "(none)",
        });
    });

    it("names the file and the line of a malformed line, and refuses a file without a header", () => {
        const cases: [string, string | undefined, RegExp][] = [
            [
                file("dpkg", "bash 5.2.15-2 amd64\nlibc6 2.36-9\n"),
                undefined,
                /^m\.packages:3: malformed dpkg manifest line "libc6 2\.36-9": expected "package \[epoch:\]upstream\[-revision\] architecture"$/,
            ],
            [
                "bash 5.2.15-2 amd64\n",
                undefined,
                /^m\.packages:1: not a package manifest: expected "# osimages package manifest: dpkg"/,
            ],
            // rpm lines carry the epoch always: a query without %{EPOCHNUM} is refused.
            [
                "kernel 0:5.14.0-427.el9 x86_64\nbash 5.1.8-9.el9 x86_64\n",
                "rpm",
                /^m\.packages:2: malformed rpm manifest line "bash 5\.1\.8-9\.el9 x86_64": expected "name epoch:version-release arch"$/,
            ],
            [
                file("rpm", "kernel  0:5.14.0-427.el9 x86_64\n"),
                undefined,
                /^m\.packages:2: malformed rpm manifest line/,
            ],
            [file("deb", ""), undefined, /^m\.packages:1: not a package manifest/],
        ];
        for (const [text, format, expected] of cases)
            assert.throws(() => parseManifest(text, "m.packages", format as "rpm" | undefined), {
                message: expected,
            });
    });

    it("digests the package set whatever the order, and any change changes it", () => {
        const a = parseManifest(RPM_PRODUCTION, "a", "rpm");
        const shuffled: Manifest = {
            format: "rpm",
            entries: [...a.entries].reverse().concat(a.entries[0]),
        };
        assert.strictEqual(manifestDigest(shuffled), manifestDigest(a));
        assert.strictEqual(
            manifestDigest(a),
            crypto.createHash("sha256").update(formatManifest(a)).digest("hex"),
        );
        const changed = { ...a, entries: a.entries.slice(1) };
        assert.notStrictEqual(manifestDigest(changed), manifestDigest(a));
        assert.notStrictEqual(manifestDigest({ ...a, format: "dpkg" }), manifestDigest(a));
    });

    it("has the digest the build scripts report: lib.sh writes the same normalised text", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "osip-manifest-"));
        const out = path.join(dir, "m.packages");
        const r = spawnSync(
            "bash",
            ["-c", `source scripts/program/build/lib.sh && write_manifest rpm "$1"`, "-", out],
            { cwd: ROOT, input: RPM_PRODUCTION + RPM_PRODUCTION, encoding: "utf8" },
        );
        assert.strictEqual(r.status, 0, r.stderr);
        const written = fs.readFileSync(out, "utf8");
        const parsed = parseManifest(written, out);
        assert.strictEqual(written, formatManifest(parsed));
        assert.strictEqual(
            crypto.createHash("sha256").update(written).digest("hex"),
            manifestDigest(parseManifest(RPM_PRODUCTION, "query", "rpm")),
        );
    });

    it("knows each format's kernel packages", () => {
        for (const [format, name, kernel] of [
            ["dpkg", "linux-image-6.1.0-26-cloud-amd64", true],
            ["dpkg", "linux-image-cloud-amd64", true],
            ["dpkg", "linux-base", false],
            ["rpm", "kernel", true],
            ["rpm", "kernel-core", true],
            ["rpm", "kernel-modules-extra", true],
            ["rpm", "kernel-headers", false],
            ["rpm", "kernelshark", false],
        ] as const)
            assert.strictEqual(isKernelPackage(format, name), kernel, `${format} ${name}`);
    });

    it("diffs dpkg manifests: kernel packages first, then by name", () => {
        const diff = diffManifests(
            parseManifest(DPKG_PRODUCTION, "p", "dpkg"),
            parseManifest(DPKG_CANDIDATE, "c", "dpkg"),
        );
        assert.deepStrictEqual(
            diff.upgraded.map((c) => `${c.name} ${c.from.join()} -> ${c.to.join()}`),
            [
                "linux-image-cloud-amd64 6.1.0-25 -> 6.1.0-26",
                "base-files 12.4+deb12u7 -> 12.4+deb12u8",
                "libc6 2.36-9+deb12u8 -> 2.36-9+deb12u9",
                "openssh-server 1:9.2p1-2+deb12u3 -> 1:9.2p1-2+deb12u4",
                "tzdata 2024a-0+deb12u1 -> 2024b-0+deb12u1",
            ],
        );
        assert.deepStrictEqual(
            diff.added.map((p) => `${p.name} ${p.version} ${p.kernel}`),
            ["linux-image-6.1.0-26-cloud-amd64 6.1.0-26 true", "curl 7.88.1-10+deb12u12 false"],
        );
        assert.deepStrictEqual(
            diff.removed.map((p) => p.name),
            ["linux-image-6.1.0-25-cloud-amd64"],
        );
        assert.deepStrictEqual(diff.downgraded, []);
    });

    it("diffs rpm manifests: installed kernels as one change, multilib by arch, downgrades", () => {
        const diff = diffManifests(
            parseManifest(RPM_PRODUCTION, "p", "rpm"),
            parseManifest(RPM_CANDIDATE, "c", "rpm"),
        );
        const changes = (cs: typeof diff.upgraded) =>
            cs.map((c) => `${c.name}.${c.arch} ${c.from.join()} -> ${c.to.join()}`);
        assert.deepStrictEqual(changes(diff.upgraded), [
            "kernel.x86_64 0:5.14.0-427.el9 -> 0:5.14.0-503.14.1.el9_5",
            "kernel-core.x86_64 0:5.14.0-427.el9 -> 0:5.14.0-503.14.1.el9_5",
            "openssl.x86_64 1:3.0.7-27.el9 -> 1:3.0.7-28.el9",
        ]);
        // ~ sorts before the release it precedes: rc1 is older.
        assert.deepStrictEqual(changes(diff.downgraded), [
            "cloud-init.noarch 0:23.4-7.el9 -> 0:23.4-7.el9~rc1",
        ]);
        assert.deepStrictEqual(
            diff.removed.map((p) => `${p.name}.${p.arch}`),
            ["glibc.i686"],
        );
        assert.deepStrictEqual(
            diff.added.map((p) => `${p.name}.${p.arch}`),
            ["tuned.noarch"],
        );
    });

    it("refuses to diff a dpkg manifest against an rpm one", () => {
        assert.throws(
            () =>
                diffManifests(
                    parseManifest(DPKG_PRODUCTION, "p", "dpkg"),
                    parseManifest(RPM_CANDIDATE, "c", "rpm"),
                ),
            /cannot compare a dpkg manifest \(production\) with a rpm one \(candidate\)/,
        );
    });
});
