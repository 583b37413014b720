import * as assert from "assert";
import { execFile, execFileSync, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { buildCommand, parseBuildResult } from "../../components/imageBuild";
import { loadCatalogue } from "../../distros/catalogue";
import { manifestDigest, parseManifest } from "../../model/packages";

const ROOT = path.join(__dirname, "..", "..");
const catalogue = loadCatalogue();

/** A stand-in `koji` on PATH: records its arguments, then behaves like a finished image-build. */
function fakeKoji(dir: string, behaviour: "ok" | "fail"): string {
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin, { recursive: true });
    fs.writeFileSync(
        path.join(bin, "koji"),
        `#!/bin/sh
echo "$@" >> "${dir}/koji-calls"
case "$3" in
image-build)
    ${behaviour === "fail" ? 'echo "GenericError: Build target cs9-image not found"; exit 1' : 'echo "Created task: 4242"; echo "Task 4242 completed"'} ;;
download-task)
    printf 'qcow2 bytes' > osimages-cs9-20261101-1.x86_64.qcow2
    printf 'rootfs bytes' > osimages-cs9-docker-20261101-1.x86_64.tar.xz ;;
esac
`,
        { mode: 0o755 },
    );
    return bin;
}

/** A dpkg status file: two installed packages, one removed whose configuration is left. */
const DPKG_STATUS = [
    ["openssh-server", "install ok installed", "1:9.2p1-2+deb12u3"],
    ["bash", "install ok installed", "5.2.15-2+b7"],
    ["oldpkg", "deinstall ok config-files", "1.0-1"],
]
    .map(
        ([p, status, version]) =>
            `Package: ${p}\nStatus: ${status}\nMaintainer: m\nArchitecture: amd64\nVersion: ${version}\nDescription: d\n`,
    )
    .join("\n");

/** What the stand-in `rpm` prints for the query: unsorted, two kernels, gpg-pubkey. */
const RPM_QA = [
    "kernel 0:5.14.0-503.11.1.el9_5 x86_64",
    "gpg-pubkey 0:8483c65d-5ccc5b19 (none)",
    "kernel 0:5.14.0-427.el9 x86_64",
    "openssl 1:3.0.7-27.el9 x86_64",
];

/**
 * Stand-in `guestfish` (and `rpm`) in `bin`: records its arguments, then copies out
 * the package database of a dpkg or an rpm image, failing (skipped: "-") for the other one.
 */
function fakeGuestfish(bin: string, dir: string, image: "dpkg" | "rpm"): void {
    const dpkg = `printf '%s' '${DPKG_STATUS}' > "$3"`;
    const rpmdb = `mkdir -p "$3/rpm" && : > "$3/rpm/rpmdb.sqlite"`;
    fs.writeFileSync(
        path.join(bin, "guestfish"),
        `#!/bin/sh
echo "$@" > "${dir}/guestfish-args"
while read -r line; do
    set -- $line
    case "$1 $2" in
    "-download /var/lib/dpkg/status") ${image === "dpkg" ? dpkg : 'echo "download: $2: No such file" >&2'} ;;
    "-copy-out /var/lib/rpm") ${image === "rpm" ? rpmdb : 'echo "copy-out: $2: No such file" >&2'} ;;
    *) echo "copy-out: $2: No such file" >&2 ;;
    esac
done
`,
        { mode: 0o755 },
    );
    fs.writeFileSync(
        path.join(bin, "rpm"),
        `#!/bin/sh\necho "$@" > "${dir}/rpm-args"\nprintf '%s\\n' ${RPM_QA.map((l) => `'${l}'`).join(" ")}\n`,
        { mode: 0o755 },
    );
}

/** The manifest a build reported: it exists, is normalised, and has the reported digest. */
function checkManifest(built: ReturnType<typeof parseBuildResult>, format: string) {
    assert.strictEqual(built.manifest, built.artefact.replace(/\.qcow2$/, ".packages"));
    const text = fs.readFileSync(built.manifest!, "utf8");
    const manifest = parseManifest(text, built.manifest!);
    assert.strictEqual(manifest.format, format);
    assert.strictEqual(
        built.manifestSha256,
        crypto.createHash("sha256").update(text).digest("hex"),
    );
    assert.strictEqual(built.manifestSha256, manifestDigest(manifest));
    return manifest;
}

function runKojiBuild(
    scratch: boolean,
    behaviour: "ok" | "fail",
    release = "2026-11-01",
    extra: Record<string, string> = {},
) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "osip-koji-"));
    const bin = fakeKoji(dir, behaviour);
    fakeGuestfish(bin, dir, "rpm");
    const koji = {
        hub: "https://koji.example.org/kojihub",
        profile: "site",
        targets: { cs9: "cs9-image" },
        installTrees: { cs9: "https://mirror.example.org/cs9/" },
        scratch,
    };
    const cmd = buildCommand({
        entry: catalogue.get("cs9")!,
        arch: "x86_64",
        release,
        builders: { koji },
    });
    const result = spawnSync("sh", ["-c", cmd.create], {
        encoding: "utf8",
        env: {
            ...process.env,
            ...cmd.environment,
            ...extra,
            OUTPUT_DIR: path.join(dir, "out"),
            PATH: `${bin}:${process.env.PATH}`,
        },
    });
    const calls = fs.existsSync(path.join(dir, "koji-calls"))
        ? fs.readFileSync(path.join(dir, "koji-calls"), "utf8").trim().split("\n")
        : [];
    return { result, calls, dir };
}

describe("build scripts", () => {
    it("koji-image-build.sh submits image-build with the kickstart, waits, downloads and reports the artefact", () => {
        const { result, calls, dir } = runKojiBuild(false, "ok");
        assert.strictEqual(result.status, 0, result.stderr);
        assert.match(
            calls[0],
            /^-p site image-build osimages-cs9-x86_64 20261101 cs9-image https:\/\/mirror\.example\.org\/cs9\/ x86_64 --kickstart=\/\S+\/distros\/kickstarts\/cs9\.ks --ksversion=RHEL9 --distro=RHEL-9\.0 --format=qcow2 --format=docker .*--release=1\.[0-9a-f]{8} --wait --noprogress$/,
        );
        assert.match(calls[1], /^-p site download-task --noprogress --arch=x86_64 4242$/);
        const built = parseBuildResult(result.stdout);
        const out = path.join(dir, "out", "cs9", "x86_64", "2026-11-01");
        assert.strictEqual(
            built.artefact,
            path.join(out, `osimages-cs9-20261101-1.x86_64-${built.sha256.slice(0, 12)}.qcow2`),
        );
        assert.strictEqual(
            built.sha256,
            crypto.createHash("sha256").update("qcow2 bytes").digest("hex"),
        );
        assert.strictEqual(
            built.rootfs,
            path.join(out, "osimages-cs9-docker-20261101-1.x86_64.tar.xz"),
        );
        assert.match(
            result.stderr,
            /\[koji \d\d:\d\d:\d\d\] image-build osimages-cs9-x86_64 20261101-1\.[0-9a-f]{8} on cs9-image/,
        );
    });

    it("koji-image-build.sh lists the image's packages with rpm, read-only through libguestfs", () => {
        const { result, dir } = runKojiBuild(false, "ok");
        assert.strictEqual(result.status, 0, result.stderr);
        const built = parseBuildResult(result.stdout);
        const manifest = checkManifest(built, "rpm");
        // Every line rpm printed, sorted: both kernels, and gpg-pubkey's (none).
        assert.deepStrictEqual(
            manifest.entries.map((e) => `${e.name} ${e.version} ${e.arch}`),
            [...RPM_QA].sort(),
        );
        const read = (f: string) => fs.readFileSync(path.join(dir, f), "utf8").trim();
        assert.match(read("guestfish-args"), /^--ro --format=qcow2 -a \S+\.x86_64\.qcow2 -i$/);
        assert.match(
            read("rpm-args"),
            /^--dbpath \S+\/var\/rpm -qa --qf %\{NAME\} %\{EPOCHNUM\}:%\{VERSION\}-%\{RELEASE\} %\{ARCH\}$/,
        );
    });

    it("koji-image-build.sh gives each respin, arch and set of inputs its own NVR, and asks for a bare rootfs", () => {
        const release = (call: string) => call.match(/ --release=(\S+) /)![1];
        const base = release(runKojiBuild(false, "ok").calls[0]);
        assert.match(base, /^1\.[0-9a-f]{8}$/);
        // Same inputs, same NVR: a re-run after a failed download finds the build Koji already has.
        assert.strictEqual(release(runKojiBuild(false, "ok").calls[0]), base);
        assert.strictEqual(
            release(runKojiBuild(false, "ok", "2026-11-01.1").calls[0]),
            base.replace(/^1\./, "2."),
        );
        // A leading zero is a decimal respin number, not octal.
        assert.strictEqual(
            release(runKojiBuild(false, "ok", "2026-11-01.08").calls[0]),
            base.replace(/^1\./, "9."),
        );
        const otherTarget = runKojiBuild(false, "ok", "2026-11-01", {
            KOJI_TARGET: "cs9-image-next",
        }).calls[0];
        assert.notStrictEqual(release(otherTarget), base);
        assert.match(
            runKojiBuild(false, "ok").calls[0],
            / --factory-parameter create_docker_metadata False /,
        );
    });

    it("koji-image-build.sh passes --scratch only when the stack asks", () => {
        assert.ok(!runKojiBuild(false, "ok").calls[0].includes("--scratch"));
        assert.match(runKojiBuild(true, "ok").calls[0], / --scratch$/);
    });

    it("koji-image-build.sh fails with Koji's own words when the build fails", () => {
        const { result, calls } = runKojiBuild(false, "fail");
        assert.strictEqual(result.status, 1);
        assert.strictEqual(calls.length, 1, "no download after a failed build");
        assert.match(result.stderr, /GenericError: Build target cs9-image not found/);
        assert.strictEqual(result.stdout, "");
    });

    /** Runs record-evidence.sh with a stand-in `openstack` that records its arguments. */
    function recordEvidence(mode: string, extra: Record<string, string>) {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "osip-ev-"));
        fs.mkdirSync(path.join(dir, "bin"));
        fs.writeFileSync(
            path.join(dir, "bin", "openstack"),
            `#!/bin/sh\necho "$OS_CLOUD $*" > "${dir}/call"\n`,
            { mode: 0o755 },
        );
        const env = {
            PATH: `${dir}/bin:${process.env.PATH}`,
            IMAGE_ID: "img-1",
            SHA256: "ab",
            OS_CLOUD: "prod",
            ...extra,
        };
        const result = spawnSync(
            "bash",
            [path.join(ROOT, "scripts", "program", "record-evidence.sh"), mode],
            {
                encoding: "utf8",
                env,
            },
        );
        const callFile = path.join(dir, "call");
        return {
            result,
            call: fs.existsSync(callFile) ? fs.readFileSync(callFile, "utf8").trim() : undefined,
        };
    }

    it("record-evidence.sh refuses to run without the image, and without a mode", () => {
        const result = spawnSync(
            "bash",
            [path.join(ROOT, "scripts", "program", "record-evidence.sh"), "passed"],
            { encoding: "utf8", env: { PATH: process.env.PATH } },
        );
        assert.notStrictEqual(result.status, 0);
        assert.match(result.stderr, /IMAGE_ID is required/);
        const { result: noMode, call } = recordEvidence("", {});
        assert.strictEqual(noMode.status, 2);
        assert.match(noMode.stderr, /usage: record-evidence\.sh pending\|passed\|failed/);
        assert.strictEqual(call, undefined);
    });

    it("record-evidence.sh pending voids earlier evidence before the tests start", () => {
        const { result, call } = recordEvidence("pending", {});
        assert.strictEqual(result.status, 0, result.stderr);
        assert.match(
            call!,
            /^prod image set --property osimages_test_result=pending --property osimages_tested_sha256=ab --property osimages_tested_at=\S+Z img-1$/,
        );
    });

    it("record-evidence.sh passed writes the evidence properties on the image", () => {
        const { result, call } = recordEvidence("passed", {
            SUMMARY: "unmanaged-virtual: 9 passed, 0 failed",
            USE_CASES: "unmanaged-virtual",
        });
        assert.strictEqual(result.status, 0, result.stderr);
        assert.match(
            call!,
            /^prod image set --property osimages_test_result=passed --property osimages_tested_sha256=ab --property osimages_test_summary=unmanaged-virtual: 9 passed, 0 failed --property osimages_tested_use_cases=unmanaged-virtual --property osimages_known_flaky=none --property osimages_tested_at=\S+Z img-1$/,
        );
    });

    it("record-evidence.sh passed shows the tolerated failures and what the run was made of", () => {
        const { result, call } = recordEvidence("passed", {
            SUMMARY: "unmanaged-virtual: 8 passed, 1 failed",
            USE_CASES: "unmanaged-virtual",
            KNOWN_FLAKY: "unmanaged-virtual: site/ntp (INC-42)",
            SUITES_VERSION: "0123456789abcdef",
            JUNIT_SHA256: "cd".repeat(32),
            INFRA_RETRIES: "unmanaged-virtual: 1",
        });
        assert.strictEqual(result.status, 0, result.stderr);
        assert.match(
            call!,
            / --property osimages_suites_version=0123456789abcdef --property osimages_junit_sha256=(cd){32} --property osimages_infra_retries=unmanaged-virtual: 1 --property osimages_tested_at=/,
        );
        assert.match(
            call!,
            / --property osimages_known_flaky=unmanaged-virtual: site\/ntp \(INC-42\) /,
        );
        assert.match(
            result.stderr,
            /known flaky, not blocking: unmanaged-virtual: site\/ntp \(INC-42\)/,
        );
    });

    it("record-evidence.sh failed records which tests failed, which the gate then names", () => {
        const { result, call } = recordEvidence("failed", {
            SUMMARY: "managed-virtual: 8 passed, 1 failed",
            FAILED_TESTS: "managed-virtual: site/ntp",
        });
        assert.strictEqual(result.status, 1, result.stderr);
        assert.match(result.stderr, /image img-1 failed its tests: managed-virtual: site\/ntp/);
        assert.match(
            call!,
            /^prod image set --property osimages_test_result=failed --property osimages_tested_sha256=ab --property osimages_test_summary=managed-virtual: 8 passed, 1 failed --property osimages_failed_tests=managed-virtual: site\/ntp --property osimages_known_flaky=none --property osimages_tested_at=\S+Z img-1$/,
        );
    });

    it("record-evidence.sh keeps each use case's output and JUnit report in RESULTS_DIR", () => {
        const results = fs.mkdtempSync(path.join(os.tmpdir(), "osip-results-"));
        const { result } = recordEvidence("passed", {
            SUMMARY: "unmanaged-virtual: 9 passed, 0 failed",
            USE_CASES: "unmanaged-virtual",
            RESULTS_DIR: results,
            RESULTS: JSON.stringify({
                "unmanaged-virtual": "[+] upstream/3_sshd ... PASS\n--- junit\n<testsuites/>\n",
            }),
        });
        assert.strictEqual(result.status, 0, result.stderr);
        assert.strictEqual(
            fs.readFileSync(path.join(results, "unmanaged-virtual.log"), "utf8"),
            "[+] upstream/3_sshd ... PASS",
        );
        assert.strictEqual(
            fs.readFileSync(path.join(results, "unmanaged-virtual.junit.xml"), "utf8"),
            "<testsuites/>\n",
        );
    });

    it("record-evidence.sh refuses to record a use case that ran nothing", () => {
        for (const summary of [
            "unmanaged-virtual: 9 passed; managed-virtual: 0 passed, 0 failed (0 image, 0 infra), 0 skipped",
            "unmanaged-virtual: no summary",
        ]) {
            const { result, call } = recordEvidence("passed", {
                SUMMARY: summary,
                USE_CASES: "unmanaged-virtual,managed-virtual",
            });
            assert.strictEqual(result.status, 1, summary);
            assert.match(result.stderr, /refusing to record a run without passed tests/);
            assert.strictEqual(call, undefined);
        }
    });
});

describe("vendor image script", () => {
    const IMAGE = "rhel-9.7-x86_64-kvm.qcow2";
    const BYTES = "vendor qcow2 bytes";
    let server: http.Server;
    let url: string;
    const seen: { path: string; auth?: string }[] = [];
    let sums = "";

    before(async () => {
        server = http.createServer((req, res) => {
            seen.push({ path: req.url ?? "", auth: req.headers.authorization });
            if (req.url === "/SHA256SUMS") res.end(sums);
            else if (req.url === `/${IMAGE}`) res.end(BYTES);
            else res.writeHead(404).end();
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    after(() => server.close());

    /** Runs vendor-image.sh with a stand-in virt-customize that appends a marker to the disk. */
    async function run(token?: string) {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "osip-vendor-"));
        fs.mkdirSync(path.join(dir, "bin"));
        fs.writeFileSync(
            path.join(dir, "bin", "virt-customize"),
            `#!/bin/sh\necho "$@" > "${dir}/customize-args"\nwhile [ "$1" != "-a" ]; do shift; done\nprintf ' customised' >> "$2"\n`,
            { mode: 0o755 },
        );
        fakeGuestfish(path.join(dir, "bin"), dir, "dpkg");
        const cmd = buildCommand({
            entry: catalogue.get("rhel9")!,
            arch: "x86_64",
            release: "2026-11-01",
            builders: { vendor: { url } },
            vendorVersion: "9.7",
        });
        const env = {
            ...process.env,
            ...cmd.environment,
            OUTPUT_DIR: path.join(dir, "out"),
            PATH: `${dir}/bin:${process.env.PATH}`,
            VENDOR_TOKEN: token ?? "",
        };
        const result = await new Promise<{ code: number; stdout: string; stderr: string }>(
            (resolve) => {
                execFile("sh", ["-c", cmd.create], { env }, (err, stdout, stderr) =>
                    resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
                );
            },
        );
        return { ...result, dir };
    }

    it("downloads the image the release names, checks the vendor checksum, customises a copy", async () => {
        sums = `${crypto.createHash("sha256").update(BYTES).digest("hex")}  ${IMAGE}\n`;
        seen.length = 0;
        const r = await run("s3cr3t-token");
        assert.strictEqual(r.code, 0, r.stderr);
        const built = parseBuildResult(r.stdout);
        assert.strictEqual(fs.readFileSync(built.artefact, "utf8"), `${BYTES} customised`);
        // Named after its bytes: a rebuild is a new file, so Glance gets a new upload.
        assert.ok(
            built.artefact.endsWith(`rhel9-x86_64-2026-11-01-${built.sha256.slice(0, 12)}.qcow2`),
            built.artefact,
        );
        assert.strictEqual(
            built.sha256,
            crypto.createHash("sha256").update(`${BYTES} customised`).digest("hex"),
        );
        assert.strictEqual(
            fs.readFileSync(path.join(path.dirname(built.artefact), `vendor-${IMAGE}`), "utf8"),
            BYTES,
        );
        assert.match(
            fs.readFileSync(path.join(r.dir, "customize-args"), "utf8").trim(),
            /^--format qcow2 -a \S+\.part --no-network --run \S+\/distros\/customize\/rhel\.sh$/,
        );
        assert.deepStrictEqual(
            seen.map((s) => s.path),
            ["/SHA256SUMS", `/${IMAGE}`],
        );
        assert.ok(seen.every((s) => s.auth === "Bearer s3cr3t-token"));
        assert.ok(!`${r.stdout}${r.stderr}`.includes("s3cr3t-token"), "token printed");
    });

    // The package format is the image's: the lab's vendor image is Debian's.
    it("lists the customised image's installed packages with dpkg-query, read-only", async function () {
        if (spawnSync("dpkg-query", ["--version"]).status !== 0) this.skip();
        sums = `${crypto.createHash("sha256").update(BYTES).digest("hex")}  ${IMAGE}\n`;
        const r = await run();
        assert.strictEqual(r.code, 0, r.stderr);
        const manifest = checkManifest(parseBuildResult(r.stdout), "dpkg");
        // Installed packages only: a removed package whose configuration is left is not listed.
        assert.deepStrictEqual(manifest.entries, [
            { name: "bash", version: "5.2.15-2+b7", arch: "amd64" },
            { name: "openssh-server", version: "1:9.2p1-2+deb12u3", arch: "amd64" },
        ]);
        assert.match(
            fs.readFileSync(path.join(r.dir, "guestfish-args"), "utf8"),
            /^--ro --format=qcow2 -a rhel9-x86_64-2026-11-01\.qcow2\.part -i$/m,
        );
    });

    it("refuses a download whose checksum differs from the vendor's, keeping nothing", async () => {
        sums = `${"0".repeat(64)}  ${IMAGE}\n`;
        const r = await run();
        assert.notStrictEqual(r.code, 0);
        assert.match(
            r.stderr,
            new RegExp(
                `checksum mismatch for ${IMAGE.replace(/\./g, "\\.")}: vendor says 0{64}, download is [0-9a-f]{64}`,
            ),
        );
        assert.strictEqual(r.stdout, "");
        assert.ok(!fs.existsSync(path.join(r.dir, "customize-args")), "customised a bad download");
    });

    it("refuses when the vendor lists no checksum for the image", async () => {
        sums = `${"1".repeat(64)}  rhel-9.6-x86_64-kvm.qcow2\n`;
        const r = await run();
        assert.notStrictEqual(r.code, 0);
        assert.match(r.stderr, /the vendor's SHA256SUMS lists no rhel-9\.7-x86_64-kvm\.qcow2/);
    });
});

describe("shell scripts", () => {
    it("a lab service refuses a port that another process holds, naming the port", async () => {
        const holder = http.createServer().listen(0, "127.0.0.1");
        await new Promise((r) => holder.once("listening", r));
        const port = (holder.address() as AddressInfo).port;
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "osip-port-"));
        try {
            const r = spawnSync(
                "bash",
                ["scripts/ci/services/registry.sh", "start", dir, String(port)],
                { cwd: ROOT, encoding: "utf8" },
            );
            assert.strictEqual(r.status, 1, r.stderr);
            assert.match(
                r.stderr,
                new RegExp(`127\\.0\\.0\\.1:${port} is already in use by another process`),
            );
            assert.ok(!fs.existsSync(path.join(dir, "registry.pid")), "started anyway");
        } finally {
            holder.close();
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("are shellcheck-clean: build, compute, evidence, toolchain, lab entry point and CI", () => {
        const files = execFileSync("sh", ["-c", "ls scripts/*/*.sh scripts/*/*/*.sh .ci/run"], {
            cwd: ROOT,
            encoding: "utf8",
        })
            .trim()
            .split("\n");
        assert.ok(files.length >= 10, files.join());
        const result = spawnSync("shellcheck", ["-x", ...files], { cwd: ROOT, encoding: "utf8" });
        assert.strictEqual(result.status, 0, result.stdout);
    });
});
