import * as assert from "assert";
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { buildCommand, parseBuildResult } from "../../components/imageBuild";
import { glanceProperties, REQUIRED_PROPERTIES } from "../../components/glanceImage";
import { flavorFor, parseLabAddress } from "../../components/testInstance";
import { parseSummary, shellQuote, suiteCommand } from "../../components/testRun";
import { testOutcome } from "../../components/imageTest";
import { USE_CASE_SPECS } from "../../model/useCases";
import { expiredFlaky, toleratedBy } from "../../model/knownFlaky";
import {
    agentBootstrapScript,
    BOOTSTRAP_MARKER,
    BOOTSTRAP_SCRIPT,
    userData,
} from "../../components/userData";
import { publicTags } from "../../components/containerImage";
import { loadCatalogue } from "../../distros/catalogue";
import { parse as parseYaml } from "yaml";

const catalogue = loadCatalogue();
const koji = {
    hub: "https://koji.example.org/kojihub",
    profile: "site",
    targets: { cs9: "cs9-image" },
    installTrees: { cs9: "https://mirror.example.org/cs9/" },
    scratch: false,
};

describe("component helpers", () => {
    describe("ImageBuild", () => {
        it("drives Koji with the distro's kickstart, target and install tree", () => {
            const cmd = buildCommand({
                entry: catalogue.get("cs9")!,
                arch: "aarch64",
                release: "2026-11-01",
                builders: { koji },
            });
            assert.match(cmd.create, /^bash scripts\/program\/build\/koji-image-build\.sh$/);
            assert.strictEqual(cmd.environment.KOJI_TARGET, "cs9-image");
            assert.strictEqual(cmd.environment.INSTALL_TREE, "https://mirror.example.org/cs9/");
            assert.match(cmd.environment.KICKSTART, /distros\/kickstarts\/cs9\.ks$/);
            assert.strictEqual(cmd.environment.ARCH, "aarch64");
            assert.strictEqual(cmd.environment.KOJI_DISTRO, "RHEL-9.0");
        });

        it("downloads the vendor image of the release's vendor version", () => {
            const cmd = buildCommand({
                entry: catalogue.get("rhel9")!,
                arch: "x86_64",
                release: "2026-11-01",
                builders: { vendor: { url: "https://v.example.org" } },
                vendorVersion: "9.7",
            });
            assert.strictEqual(cmd.environment.VENDOR_IMAGE, "rhel-9.7-x86_64-kvm.qcow2");
            assert.match(cmd.environment.CUSTOMIZE, /distros\/customize\/rhel\.sh$/);
        });

        it("names the missing builder", () => {
            assert.throws(
                () =>
                    buildCommand({
                        entry: catalogue.get("cs9")!,
                        arch: "x86_64",
                        release: "2026-11-01",
                        builders: {},
                    }),
                /cs9: builders\.koji is not configured/,
            );
            assert.throws(
                () =>
                    buildCommand({
                        entry: catalogue.get("rhel9")!,
                        arch: "x86_64",
                        release: "2026-11-01",
                        builders: { vendor: { url: "https://v.example.org" } },
                    }),
                /rhel9: no vendor version for 2026-11-01/,
            );
        });

        it("parses the build's result line and refuses anything else", () => {
            const sha = "c".repeat(64);
            assert.deepStrictEqual(
                parseBuildResult(`log\n{"artefact":"/a.qcow2","sha256":"${sha}","rootfs":""}\n`),
                {
                    artefact: "/a.qcow2",
                    sha256: sha,
                    rootfs: undefined,
                    // Builds made before manifests (kept in a state) reported none.
                    manifest: undefined,
                    manifestSha256: undefined,
                },
            );
            const manifestSha = "d".repeat(64);
            assert.deepStrictEqual(
                parseBuildResult(
                    `{"artefact":"/a.qcow2","sha256":"${sha}","rootfs":"","manifest":"/a.packages","manifestSha256":"${manifestSha}"}`,
                ),
                {
                    artefact: "/a.qcow2",
                    sha256: sha,
                    rootfs: undefined,
                    manifest: "/a.packages",
                    manifestSha256: manifestSha,
                },
            );
            assert.throws(
                () =>
                    parseBuildResult(
                        `{"artefact":"/a","sha256":"${sha}","manifest":"/a.packages","manifestSha256":"short"}`,
                    ),
                /did not report/,
            );
            assert.throws(
                () => parseBuildResult("koji failed: timeout"),
                /output ended with:\nkoji failed: timeout/,
            );
            assert.throws(
                () => parseBuildResult('{"artefact":"/a","sha256":"short"}'),
                /did not report/,
            );
        });
    });

    describe("GlanceImage properties", () => {
        it("carries every required property with the catalogue's values", () => {
            const props = glanceProperties({
                entry: catalogue.get("cs9")!,
                arch: "aarch64",
                bootMode: "uefi",
                release: "2026-11-01.1",
                key: "k",
                source: "koji",
                keep: 3,
            });
            for (const k of REQUIRED_PROPERTIES.filter((p) => p !== "osimages_sha256"))
                assert.ok(props[k], k);
            assert.strictEqual(props.hw_machine_type, "virt");
            assert.strictEqual(props.hw_firmware_type, "uefi");
            assert.strictEqual(props.image_build_date, "2026-11-01");
            assert.strictEqual(props.uuid_validity, "last-3");
            assert.strictEqual(props.os_admin_user, "cloud-user");
        });

        it("lets a catalogue entry add properties", () => {
            const props = glanceProperties({
                entry: catalogue.get("rhel9")!,
                arch: "x86_64",
                bootMode: "bios",
                release: "2026-11-01",
                key: "k",
                source: "v",
                keep: 2,
            });
            assert.strictEqual(props.os_license, "subscription");
            assert.strictEqual(props.hw_machine_type, "q35");
        });
    });

    describe("TestInstance", () => {
        it("puts physical use cases on the bare-metal flavor", () => {
            assert.strictEqual(
                flavorFor("managed-physical", { virtual: "m1", physical: "metal" }),
                "metal",
            );
            assert.strictEqual(
                flavorFor("unmanaged-virtual", { virtual: "m1", physical: "metal" }),
                "m1",
            );
            assert.throws(
                () => flavorFor("unmanaged-physical", { virtual: "m1" }),
                /needs testing\.flavors\.physical/,
            );
        });

        it("parses the lab backend's address line without echoing the key on error", () => {
            assert.deepStrictEqual(
                parseLabAddress('booting\n{"host":"127.0.0.1","port":2201,"privateKey":"K"}'),
                { host: "127.0.0.1", port: 2201, privateKey: "K", attempts: 1 },
            );
            assert.strictEqual(
                parseLabAddress('{"host":"h","port":1,"privateKey":"K","attempts":3}').attempts,
                3,
            );
            assert.throws(
                () => parseLabAddress('{"host":"127.0.0.1","privateKey":"SECRET"}'),
                (e: Error) => !e.message.includes("SECRET"),
            );
        });
    });

    describe("user-data", () => {
        it("bootstraps the agent only for managed use cases: point it at the server, run it once", () => {
            const managed = parseYaml(
                userData("managed-virtual", {
                    server: "puppet.example.org",
                    environment: "production",
                }).replace("#cloud-config\n", ""),
            );
            assert.deepStrictEqual(managed.runcmd, [["sh", BOOTSTRAP_SCRIPT]]);
            const script = (managed.write_files as { path: string; content: string }[]).find(
                (f) => f.path === BOOTSTRAP_SCRIPT,
            )!.content;
            assert.match(script, /puppet config set --section main server puppet\.example\.org\n/);
            assert.match(script, /puppet config set --section main environment production\n/);
            // Installed only where the image lacks it: cloud-init's packages would need a mirror.
            assert.strictEqual(managed.packages, undefined);
            assert.match(script, /if ! command -v puppet .*\n.*dnf -y install puppet-agent/);
            assert.match(script, new RegExp(`>${BOOTSTRAP_MARKER}\n`));
            assert.doesNotMatch(script, /\/etc\/hosts/);
            const plain = parseYaml(userData("unmanaged-physical"));
            assert.strictEqual(plain.runcmd, undefined);
            assert.match(userData("unmanaged-virtual"), /^#cloud-config\n/);
        });

        it("writes the server's address into /etc/hosts when the machines' DNS does not know it", () => {
            const script = agentBootstrapScript({
                server: "puppet.osimages.lab",
                environment: "production",
                address: "10.0.2.100",
            });
            // An image may have no /etc/hosts yet: the check says nothing then, and the echo writes one.
            assert.match(
                script,
                /grep -qs '\[\[:space:\]\]puppet\.osimages\.lab\$' \/etc\/hosts \|\| echo/,
            );
            assert.match(script, /echo '10\.0\.2\.100 puppet\.osimages\.lab' >>\/etc\/hosts/);
            assert.ok(script.indexOf("/etc/hosts") < script.indexOf("puppet agent --test"));
        });

        it("the bootstrap leaves the marker only after a run that applied its catalogue", () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "osip-bootstrap-"));
            try {
                // puppet: logs its calls; `puppet agent` exits AGENT_RC.
                fs.writeFileSync(
                    path.join(dir, "puppet"),
                    `#!/bin/sh\necho "$*" >>"${dir}/calls"\n[ "$1" != agent ] || exit "$AGENT_RC"\n`,
                    { mode: 0o755 },
                );
                // hostname -f: a name with the trailing dot of an empty domain.
                fs.writeFileSync(path.join(dir, "hostname"), "#!/bin/sh\necho node1.\n", {
                    mode: 0o755,
                });
                const marker = path.join(dir, "bootstrap-done");
                const script = agentBootstrapScript({
                    server: "p.example.org",
                    environment: "e",
                }).replaceAll(BOOTSTRAP_MARKER, marker);
                for (const [agentRc, status, marked] of [
                    [0, 0, true],
                    [2, 0, true],
                    [1, 1, false],
                ] as const) {
                    fs.rmSync(marker, { force: true });
                    fs.rmSync(path.join(dir, "calls"), { force: true });
                    const r = spawnSync("sh", ["-s"], {
                        input: script,
                        encoding: "utf8",
                        env: { PATH: `${dir}:/usr/bin:/bin`, AGENT_RC: String(agentRc) },
                    });
                    assert.strictEqual(r.status, status, `agent exit ${agentRc}: ${r.stderr}`);
                    assert.strictEqual(fs.existsSync(marker), marked, `agent exit ${agentRc}`);
                    assert.deepStrictEqual(
                        fs.readFileSync(path.join(dir, "calls"), "utf8").trim().split("\n"),
                        [
                            "config set --section main certname node1",
                            "config set --section main server p.example.org",
                            "config set --section main environment e",
                            "agent --test --waitforcert 60",
                        ],
                    );
                }
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });

        it("refuses a managed use case without agent settings", () => {
            assert.throws(() => userData("managed-physical"), /needs testing\.agent/);
        });
    });

    describe("TestRun", () => {
        it("runs the managed suite only on managed machines", () => {
            assert.deepStrictEqual(USE_CASE_SPECS["unmanaged-virtual"].suites, [
                "upstream",
                "site",
            ]);
            assert.deepStrictEqual(USE_CASE_SPECS["managed-physical"].suites, [
                "upstream",
                "site",
                "managed",
            ]);
            assert.match(
                suiteCommand("managed-physical", {}),
                / \/tmp\/osimages-suites\/upstream \/tmp\/osimages-suites\/site \/tmp\/osimages-suites\/managed;/,
            );
            assert.doesNotMatch(suiteCommand("unmanaged-virtual", {}), /suites\/managed/);
        });

        it("hands site facts to the suites, quoted, and keeps the runner's exit code", () => {
            const cmd = suiteCommand("managed-virtual", {
                SITE_NTP_SERVER: "ntp.example.org",
                SITE_DNS: "it's",
            });
            assert.match(
                cmd,
                /sudo env OSIP_USE_CASE=managed-virtual SITE_DNS='it'\\''s' SITE_NTP_SERVER='ntp\.example\.org' bash \/tmp\/osimages-suites\/runtests\.sh --junit \S+ \/tmp\/osimages-suites\/upstream \/tmp\/osimages-suites\/site \/tmp\/osimages-suites\/managed/,
            );
            // An image failure (1) is a result for ImageTest to record; anything else fails the run.
            assert.match(cmd, /rc=\$\?; .*; \[ "\$rc" -eq 1 \] && rc=0; exit \$rc$/);
            assert.strictEqual(shellQuote("a'b"), `'a'\\''b'`);
        });

        it("extracts the runner's summary", () => {
            assert.strictEqual(
                parseSummary(
                    "[+] a ... PASS\n[=] 3 passed, 1 failed (1 image, 0 infra), 0 skipped\n",
                ),
                "3 passed, 1 failed (1 image, 0 infra), 0 skipped",
            );
            assert.strictEqual(parseSummary("ssh: connect refused"), "no summary");
        });
    });

    it("publishes date, major and latest tags, latest last", () => {
        assert.deepStrictEqual(publicTags("9", "2026-11-01"), ["2026-11-01", "9", "latest"]);
    });
});

describe("ImageTest's judgement of the runs", () => {
    const run = (lines: string[]) => `${lines.join("\n")}\n--- junit\n<testsuites/>\n`;

    it("passes when no test failed the image, with every use case's summary", () => {
        const o = testOutcome([
            {
                useCase: "unmanaged-virtual",
                output: run([
                    "[+] upstream/3_sshd ... PASS (0.1s)",
                    "[=] 9 passed, 0 failed (0 image, 0 infra), 6 skipped",
                ]),
            },
            {
                useCase: "managed-virtual",
                output: run(["[=] 11 passed, 0 failed (0 image, 0 infra), 4 skipped"]),
            },
        ]);
        assert.deepStrictEqual(o, {
            mode: "passed",
            summary:
                "unmanaged-virtual: 9 passed, 0 failed (0 image, 0 infra), 6 skipped; managed-virtual: 11 passed, 0 failed (0 image, 0 infra), 4 skipped",
            failedTests: "",
            knownFlaky: "",
            junitSha256: crypto
                .createHash("sha256")
                .update("<testsuites/>\n<testsuites/>\n")
                .digest("hex"),
            infraRetries: "unmanaged-virtual: 0, managed-virtual: 0",
        });
    });

    it("records the machines retried per use case, and the digest of exactly the JUnit reports", () => {
        const o = testOutcome([
            {
                useCase: "unmanaged-virtual",
                output: "[=] 9 passed\n--- junit\n<a/>\n",
                attempts: 2,
            },
        ]);
        assert.strictEqual(o.infraRetries, "unmanaged-virtual: 1");
        assert.strictEqual(
            o.junitSha256,
            crypto.createHash("sha256").update("<a/>\n").digest("hex"),
        );
    });

    it("fails naming each failed test with its use case; infrastructure failures are not image failures", () => {
        const o = testOutcome([
            {
                useCase: "unmanaged-virtual",
                output: run([
                    "[+] site/dns ... FAIL (image) (0.2s): exit 1",
                    "[+] site/ntp ... FAIL (infra) (9.0s): exit 75 after 3 attempts",
                    "[+] site/ipv6 ... FAIL (image) (0.1s): timed out after 300s",
                    "[=] 7 passed, 3 failed (2 image, 1 infra), 5 skipped",
                ]),
            },
        ]);
        assert.strictEqual(o.mode, "failed");
        assert.strictEqual(
            o.failedTests,
            "unmanaged-virtual: site/dns, unmanaged-virtual: site/ipv6",
        );
    });

    it("tolerates a known-flaky failure on the use cases its entry names, reporting it with the reason", () => {
        const failing = run([
            "[+] site/ntp ... FAIL (image) (0.2s): exit 1",
            "[=] 8 passed, 1 failed (1 image, 0 infra), 6 skipped",
        ]);
        const flaky = [
            {
                test: "site/ntp",
                useCases: ["unmanaged-virtual" as const],
                reason: "INC-42: NTP server flaps",
                expires: "2999-12-31",
            },
        ];
        const tolerated = testOutcome([{ useCase: "unmanaged-virtual", output: failing }], flaky);
        assert.deepStrictEqual(
            [tolerated.mode, tolerated.failedTests, tolerated.knownFlaky],
            ["passed", "", "unmanaged-virtual: site/ntp (INC-42: NTP server flaps)"],
        );
        // The same failure on a use case the entry does not name still fails the image.
        const blocked = testOutcome([{ useCase: "managed-virtual", output: failing }], flaky);
        assert.deepStrictEqual(
            [blocked.mode, blocked.failedTests, blocked.knownFlaky],
            ["failed", "managed-virtual: site/ntp", ""],
        );
    });
});

describe("known flaky entries", () => {
    const entry = { test: "site/ntp", reason: "INC-42", expires: "2026-12-31" };

    it("hold until their last day, and are named as expired the day after", () => {
        assert.deepStrictEqual(expiredFlaky([entry], "2026-12-31"), []);
        assert.deepStrictEqual(expiredFlaky([entry, entry], "2027-01-01"), [
            "testing.knownFlaky.0: site/ntp expired on 2026-12-31 (INC-42): fix the test, or renew the entry with a later date",
            "testing.knownFlaky.1: site/ntp expired on 2026-12-31 (INC-42): fix the test, or renew the entry with a later date",
        ]);
    });

    it("without use cases tolerate the test on every use case, and only that test", () => {
        assert.strictEqual(toleratedBy([entry], "managed-physical", "site/ntp"), entry);
        assert.strictEqual(toleratedBy([entry], "managed-physical", "site/dns"), undefined);
    });
});
