import * as assert from "assert";
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT } from "./harness";

/** Runs a snippet with lib.sh and steps.sh sourced, against a folder of archives and a cache. */
function steps(snippet: string, thirdParty: string, cache: string) {
    const r = spawnSync(
        "bash",
        [
            "-c",
            `set -euo pipefail; source scripts/ci/toolchain/lib.sh; source scripts/ci/toolchain/steps.sh; TOOLCHAIN_LOG=${cache}/log; : > "$TOOLCHAIN_LOG"; ${snippet}`,
        ],
        {
            cwd: ROOT,
            encoding: "utf8",
            env: { ...process.env, OSIP_THIRD_PARTY: thirdParty, OSIP_CACHE: cache },
        },
    );
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("toolchain set-up (scripts/ci/toolchain)", () => {
    let thirdParty: string;
    let cache: string;
    const name = "pulumi-command-v1.2.1.tar.gz";

    beforeEach(() => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "osip-toolchain-"));
        thirdParty = path.join(dir, "third_party");
        cache = path.join(dir, "cache");
        fs.mkdirSync(thirdParty);
        fs.mkdirSync(cache);
        const src = path.join(dir, "pulumi-command-v1.2.1", "provider");
        fs.mkdirSync(src, { recursive: true });
        fs.writeFileSync(path.join(src, "go.mod"), "module example\n");
        spawnSync("tar", ["-C", dir, "-czf", path.join(thirdParty, name), "pulumi-command-v1.2.1"]);
        const sha = crypto
            .createHash("sha256")
            .update(fs.readFileSync(path.join(thirdParty, name)))
            .digest("hex");
        fs.writeFileSync(path.join(thirdParty, "SHA256SUMS"), `${sha}  ${name}\n`);
    });

    it("names the missing archive and where it looked", () => {
        fs.rmSync(path.join(thirdParty, name));
        const r = steps(`verify_archive ${name}`, thirdParty, cache);
        assert.notStrictEqual(r.code, 0);
        assert.match(
            r.stderr,
            new RegExp(`missing archive: ${thirdParty}/${name} \\(set OSIP_THIRD_PARTY`),
        );
    });

    it("refuses an archive whose sha256 differs from SHA256SUMS, naming both", () => {
        fs.appendFileSync(path.join(thirdParty, name), "tampered");
        const r = steps(`extract_archive dir ${name}`, thirdParty, cache);
        assert.notStrictEqual(r.code, 0);
        assert.match(
            r.stderr,
            /checksum mismatch: .*pulumi-command-v1\.2\.1\.tar\.gz has sha256 [0-9a-f]{64}, SHA256SUMS says [0-9a-f]{64}/,
        );
        assert.ok(!fs.existsSync(path.join(cache, "toolchain", "src", "pulumi-command-v1.2.1")));
    });

    it("refuses an archive that SHA256SUMS does not list", () => {
        fs.writeFileSync(path.join(thirdParty, "SHA256SUMS"), "");
        const r = steps(`verify_archive ${name}`, thirdParty, cache);
        assert.notStrictEqual(r.code, 0);
        assert.match(r.stderr, /SHA256SUMS has no line for pulumi-command-v1\.2\.1\.tar\.gz/);
    });

    it("extracts a checked archive once: a second call reuses it", () => {
        const first = steps(`extract_archive dir ${name}; echo "$dir"`, thirdParty, cache);
        assert.strictEqual(first.code, 0, first.stderr);
        assert.match(first.stderr, /extracting pulumi-command-v1\.2\.1\.tar\.gz/);
        const dir = first.stdout.trim();
        assert.ok(fs.existsSync(path.join(dir, "provider", "go.mod")));
        const second = steps(`extract_archive dir ${name}; echo "$dir"`, thirdParty, cache);
        assert.strictEqual(second.stdout.trim(), dir);
        assert.doesNotMatch(second.stderr, /extracting/);
    });

    it("names the module the Go module proxy refused", () => {
        const r = steps(
            `echo 'go: github.com/pulumi/pulumi-command/provider@v1.2.1: reading https://goproxy.example/github.com/pulumi/pulumi-command/provider/@v/v1.2.1.info: 403 Forbidden' >> "$TOOLCHAIN_LOG"; run "building" false`,
            thirdParty,
            cache,
        );
        assert.notStrictEqual(r.code, 0);
        assert.match(r.stderr, /the Go module proxy refused these modules/);
        assert.match(
            r.stderr,
            /github\.com\/pulumi\/pulumi-command\/provider@v1\.2\.1: 403 Forbidden/,
        );
    });

    it("says go is missing when a build needs it", () => {
        const r = spawnSync(
            "bash",
            [
                "-c",
                `set -euo pipefail; source scripts/ci/toolchain/lib.sh; source scripts/ci/toolchain/steps.sh; TOOLCHAIN_LOG=${cache}/log; : > "$TOOLCHAIN_LOG"; go_build . ${cache}/out ./cmd x v1; echo built`,
            ],
            { cwd: ROOT, encoding: "utf8", env: { ...process.env, PATH: "/usr/bin:/bin" } },
        );
        assert.notStrictEqual(r.status, 0);
        assert.match(r.stderr, /go not found on PATH: building needs Go >= 1\.26/);
        assert.doesNotMatch(r.stdout, /built/);
    });

    it("takes each plugin's version from its npm SDK in package.json", () => {
        const r = steps(
            'for p in $PROVIDER_PLUGINS; do echo "$p $(plugin_version $p)"; done',
            thirdParty,
            cache,
        );
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(r.stdout, "command 1.2.1\nopenstack 5.5.1\ndocker 4.11.0\n");
    });
});
