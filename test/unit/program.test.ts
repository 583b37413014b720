import * as assert from "assert";
import { execFileSync } from "child_process";
import { suitesArchive, suitesDigest } from "../../components/testRun";
import { AgentSettings, userData } from "../../components/userData";
import { missingProperties, productionNamedTest, publicWithoutEvidence } from "../../policy/rules";
import {
    byName,
    byType,
    fakeSha,
    MOCK_SCOPE_PROJECT_ID,
    passedImage,
    Recorded,
    runProgram,
    stackConfig,
    unwrap,
} from "./harness";

/** Pulumi's marker of a secret value on the wire. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRETS = {
    vendorToken: "VENDOR-TOKEN",
    sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nTEST\n",
    cloudPasswords: { production: "p", test: "t" },
};

/** The previous production releases: os_hidden in Glance. */
const HIDDEN = [
    "cs9-x86_64-bios-2026-09-01",
    "cs9-x86_64-uefi-2026-09-01",
    "cs9-aarch64-uefi-2026-09-01",
];

/** Glance as it stands after the tests of every cs9/alma9/rhel9 release up to October passed. */
function siteGlance(): Record<string, Record<string, string>> {
    const glance: Record<string, Record<string, string>> = {};
    for (const [distro, arches] of [
        ["cs9", ["x86_64", "aarch64"]],
        ["alma9", ["x86_64"]],
        ["rhel9", ["x86_64", "aarch64"]],
    ] as const) {
        for (const arch of arches) {
            for (const mode of arch === "x86_64" ? ["bios", "uefi"] : ["uefi"]) {
                for (const release of ["2026-09-01", "2026-10-01"]) {
                    glance[`${distro}-${arch}-${mode}-${release}`] = passedImage(
                        distro,
                        arch,
                        mode,
                        release,
                    );
                }
            }
        }
    }
    return glance;
}

function images(resources: Recorded[]): Recorded[] {
    return byType(resources, "openstack:images/image:Image");
}

describe("the program under mocks", () => {
    describe("lab stack (debian12, nothing promoted yet)", () => {
        let resources: Recorded[];
        let outputs: Record<string, unknown>;
        const invokes: { token: string; args: Record<string, unknown> }[] = [];
        before(async () => {
            ({ resources, outputs } = await runProgram("lab", stackConfig("lab"), { invokes }));
        });

        it("composes one pipeline per arch with build, image per firmware, test machine, run and evidence", () => {
            const names = resources
                .filter((r) => r.name.startsWith("debian12-x86_64"))
                .map((r) => `${r.type} ${r.name}`);
            const expected = [
                "osimages:pipeline:DistroPipeline debian12-x86_64",
                "osimages:build:ImageBuild debian12-x86_64-2026-11-01",
                "command:local:Command debian12-x86_64-2026-11-01-build",
                "osimages:glance:GlanceImage debian12-x86_64-bios-2026-11-01",
                "openstack:images/image:Image debian12-x86_64-bios-2026-11-01-image",
                "openstack:images/imageAccess:ImageAccess debian12-x86_64-bios-2026-11-01-member",
                "openstack:images/imageAccessAccept:ImageAccessAccept debian12-x86_64-bios-2026-11-01-accept",
                "osimages:compute:TestInstance debian12-x86_64-bios-2026-11-01-unmanaged-virtual",
                "command:local:Command debian12-x86_64-bios-2026-11-01-unmanaged-virtual-vm",
                "osimages:test:TestRun debian12-x86_64-bios-2026-11-01-unmanaged-virtual-test",
                "command:remote:Command debian12-x86_64-bios-2026-11-01-unmanaged-virtual-test-run",
                "command:local:Command debian12-x86_64-bios-2026-11-01-evidence-reset",
                "command:local:Command debian12-x86_64-bios-2026-11-01-evidence",
                "osimages:container:ContainerImage debian12-x86_64-2026-11-01-container",
                "command:local:Command debian12-x86_64-2026-11-01-container-context",
                "docker:index/image:Image debian12-x86_64-2026-11-01-container-image",
                "command:local:Command debian12-x86_64-2026-11-01-container-test",
            ];
            for (const e of expected) assert.ok(names.includes(e), `missing ${e}`);
            assert.ok(names.some((n) => n.endsWith("debian12-x86_64-uefi-2026-11-01-image")));
            // The lab stack builds x86_64 only (stacks/Pulumi.lab.yaml arches).
            assert.ok(!resources.some((r) => r.name.startsWith("debian12-aarch64")));
        });

        it("uploads the built artefact as a shared TEST image with all properties", () => {
            const image = byName(resources, "debian12-x86_64-bios-2026-11-01-image");
            assert.strictEqual(image.inputs.name, "DEBIAN12 - x86_64 [2026-11-01] TEST");
            assert.strictEqual(image.inputs.visibility, "shared");
            assert.strictEqual(image.inputs.hidden, false);
            assert.strictEqual(
                image.inputs.localFilePath,
                "/runner/debian12-x86_64-2026-11-01-build.qcow2",
            );
            assert.strictEqual(image.inputs.verifyChecksum, true);
            const props = image.inputs.properties as Record<string, string>;
            assert.strictEqual(props.osimages_sha256, fakeSha("debian12-x86_64-2026-11-01-build"));
            // The digest of the package manifest the build reported.
            assert.strictEqual(
                props.osimages_manifest_sha256,
                fakeSha("debian12-x86_64-2026-11-01-build.packages"),
            );
            assert.strictEqual(props.osimages_build_key, "debian12-x86_64-bios-2026-11-01");
            assert.strictEqual(props.hw_firmware_type, "bios");
            assert.strictEqual(props.os_distro, "debian");
            assert.strictEqual(props.osimages_test_result, undefined);
            assert.strictEqual(missingProperties(image.inputs as never), undefined);
        });

        it("pushes through one explicit docker provider, anonymous and in plain HTTP on the loopback registries", () => {
            const provider = byName(resources, "docker");
            assert.strictEqual(provider.type, "pulumi:providers:docker");
            assert.deepStrictEqual(JSON.parse(String(provider.inputs.registryAuth)), [
                { address: "http://127.0.0.1:5001", authDisabled: true },
                { address: "http://127.0.0.1:5002", authDisabled: true },
            ]);
            assert.match(
                byName(resources, "debian12-x86_64-2026-11-01-container-image").provider ?? "",
                /::docker::/,
            );
        });

        it("shares TEST images to the project the test cloud's credentials are scoped to (no projectId set)", () => {
            assert.strictEqual(
                byName(resources, "debian12-x86_64-bios-2026-11-01-member").inputs.memberId,
                MOCK_SCOPE_PROJECT_ID,
            );
            assert.deepStrictEqual(
                invokes.filter((i) => i.token.startsWith("openstack:identity/")),
                [{ token: "openstack:identity/getAuthScope:getAuthScope", args: { name: "test" } }],
            );
        });

        it("uses the production provider for the image and the test provider to accept the share", () => {
            assert.match(
                byName(resources, "debian12-x86_64-bios-2026-11-01-image").provider ?? "",
                /::production::/,
            );
            assert.match(
                byName(resources, "debian12-x86_64-bios-2026-11-01-accept").provider ?? "",
                /::test::/,
            );
        });

        it("boots the lab VM from the uploaded image and tests over its forwarded port", () => {
            const vm = byName(resources, "debian12-x86_64-bios-2026-11-01-unmanaged-virtual-vm");
            const env = vm.inputs.environment as Record<string, string>;
            assert.strictEqual(env.IMAGE_ID, "debian12-x86_64-bios-2026-11-01-image-id");
            assert.strictEqual(env.USE_CASE, "unmanaged-virtual");
            assert.strictEqual(env.ARCH, "x86_64");
            assert.strictEqual(env.LAB_USER, "debian");
            // Each firmware variant boots with its own firmware: SeaBIOS here, UEFI for its twin.
            assert.strictEqual(env.FIRMWARE, "bios");
            // An unusable machine is retried once on a fresh one (default), each with the lab
            // stack's bootTimeout (25m); the engine waits for both and the ten minutes around them.
            assert.deepStrictEqual([env.BOOT_ATTEMPTS, env.LAB_BOOT_WAIT], ["2", "1500"]);
            assert.deepStrictEqual(vm.customTimeouts, { create: "3600s", update: "" });
            const twin = byName(resources, "debian12-x86_64-uefi-2026-11-01-unmanaged-virtual-vm");
            assert.strictEqual(
                (twin.inputs.environment as Record<string, string>).FIRMWARE,
                "uefi",
            );
            assert.match(
                String(vm.inputs.create),
                /^bash scripts\/program\/compute\/lab-instance\.sh start$/,
            );
            assert.deepStrictEqual(vm.additionalSecretOutputs, ["stdout"]);
            // A new image, or a restart of the tests, boots a fresh machine.
            assert.deepStrictEqual(vm.inputs.triggers, [
                "debian12-x86_64-bios-2026-11-01-image-id",
                "debian12-x86_64-bios-2026-11-01-evidence-reset-id",
            ]);
            const run = byName(
                resources,
                "debian12-x86_64-bios-2026-11-01-unmanaged-virtual-test-run",
            );
            // The whole connection, key included, reaches the engine as a secret.
            const secret = run.inputs.connection as Record<string, unknown>;
            assert.strictEqual(secret[SECRET_SIG], "1b47061264138c4ac30d75fd1eb44270");
            const conn = secret.value as Record<string, unknown>;
            assert.strictEqual(conn.privateKey, "LAB-PRIVATE-KEY");
            assert.strictEqual(conn.host, "127.0.0.1");
            assert.strictEqual(conn.port, 2222);
            assert.strictEqual(conn.user, "debian");
            assert.strictEqual(conn.dialErrorLimit, -1);
            assert.match(String(run.inputs.create), /SITE_DNS='none'/);
        });

        it("orders share, evidence reset, machine, run, then evidence", () => {
            const find = (name: string) =>
                byName(resources, `debian12-x86_64-bios-2026-11-01-${name}`);
            const dependsOn = (r: Recorded, suffix: string) =>
                assert.ok(
                    r.dependencies.some((d) => d.endsWith(suffix)),
                    `${r.name} after ${suffix}: ${r.dependencies.join()}`,
                );
            // The machine boots only once the test project can see the image and old evidence is void.
            dependsOn(find("unmanaged-virtual-vm"), "debian12-x86_64-bios-2026-11-01-accept");
            dependsOn(
                find("unmanaged-virtual-vm"),
                "debian12-x86_64-bios-2026-11-01-evidence-reset",
            );
            dependsOn(find("evidence"), "unmanaged-virtual-test-run");
            const reset = find("evidence-reset");
            assert.strictEqual(
                reset.inputs.create,
                "bash scripts/program/record-evidence.sh pending",
            );
            const evidence = find("evidence");
            assert.strictEqual(
                evidence.inputs.create,
                "bash scripts/program/record-evidence.sh passed",
            );
            assert.deepStrictEqual(evidence.inputs.triggers, [reset.name + "-id"]);
            const env = evidence.inputs.environment as Record<string, string>;
            assert.strictEqual(env.SHA256, fakeSha("debian12-x86_64-2026-11-01-build"));
            assert.strictEqual(
                env.SUMMARY,
                "unmanaged-virtual: 9 passed, 0 failed (0 image, 0 infra), 1 skipped; managed-virtual: 9 passed, 0 failed (0 image, 0 infra), 1 skipped",
            );
            assert.strictEqual(env.OS_CLOUD, "lab-prod");
            assert.strictEqual(env.OS_PROJECT_NAME, "images");
        });

        it("re-arms the evidence whenever the tests would run again (image, suites, site facts, use cases)", () => {
            const triggers = byName(resources, "debian12-x86_64-bios-2026-11-01-evidence-reset")
                .inputs.triggers as string[];
            assert.deepStrictEqual(triggers, [
                "debian12-x86_64-bios-2026-11-01-image-id",
                fakeSha("debian12-x86_64-2026-11-01-build"),
                suitesDigest(),
                JSON.stringify({ SITE_DNS: "none", SITE_NTP_SERVER: "none" }),
                "unmanaged-virtual,managed-virtual",
                JSON.stringify({
                    userData: [
                        userData("unmanaged-virtual"),
                        userData(
                            "managed-virtual",
                            (stackConfig("lab").testing as { agent: AgentSettings }).agent,
                        ),
                    ],
                }),
            ]);
        });

        it("hands the suites to the run as a mode-keeping, byte-stable archive on stdin", () => {
            const run = byName(
                resources,
                "debian12-x86_64-bios-2026-11-01-unmanaged-virtual-test-run",
            );
            assert.strictEqual(run.inputs.stdin, suitesArchive());
            const listing = execFileSync("sh", ["-c", "base64 -d | tar -tvzf -"], {
                input: suitesArchive(),
                encoding: "utf8",
            });
            assert.match(listing, /^-rwxr-xr-x 0\/0 .* \.\/runtests\.sh$/m);
            assert.match(listing, /^-rwxr-xr-x 0\/0 .* \.\/upstream\/0_kernel_running$/m);
            assert.match(listing, /^-rw-r--r-- 0\/0 .* \.\/upstream\/lib\.sh$/m);
            assert.match(
                String(run.inputs.create),
                /^rm -rf \/tmp\/osimages-suites && mkdir -p \/tmp\/osimages-suites && base64 -d \| tar -xzf - -C \/tmp\/osimages-suites/,
            );
        });

        it("puts a timeout on every command (never runOutput)", () => {
            const commands = resources.filter((r) => r.type.startsWith("command:"));
            assert.ok(commands.length >= 10);
            for (const c of commands.filter((c) => c.type !== "command:remote:CopyToRemote")) {
                assert.notStrictEqual(
                    c.customTimeouts.create,
                    "",
                    `${c.name} has no create timeout`,
                );
            }
            assert.strictEqual(
                byName(resources, "debian12-x86_64-2026-11-01-build").customTimeouts.create,
                "3h",
            );
            assert.strictEqual(
                byName(resources, "debian12-x86_64-bios-2026-11-01-unmanaged-virtual-test-run")
                    .customTimeouts.create,
                "20m",
            );
        });

        it("tags the container for test, then publishes date, major and latest once its test passed (publishOn: tested)", () => {
            const image = byName(resources, "debian12-x86_64-2026-11-01-container-image");
            assert.strictEqual(
                image.inputs.imageName,
                "127.0.0.1:5001/osimages/debian12:2026-11-01-test",
            );
            const pull = byName(resources, "debian12-x86_64-2026-11-01-container-pull");
            assert.ok(
                pull.dependencies.some((d) =>
                    d.endsWith("debian12-x86_64-2026-11-01-container-test"),
                ),
                "the public tags must wait for the container test",
            );
            assert.deepStrictEqual(
                byType(resources, "docker:index/tag:Tag").map((t) => t.inputs.targetImage),
                ["2026-11-01", "12", "latest"].map((t) => `127.0.0.1:5002/osimages/debian12:${t}`),
            );
            for (const push of byType(resources, "docker:index/registryImage:RegistryImage")) {
                assert.strictEqual(push.inputs.keepRemotely, true);
            }
        });

        it("builds the container from the context step's folder, Dockerfile included", () => {
            const image = byName(resources, "debian12-x86_64-2026-11-01-container-image");
            const context = "/runner/debian12-x86_64-2026-11-01-container-context";
            assert.deepStrictEqual(image.inputs.build, {
                context,
                dockerfile: `${context}/Dockerfile`,
                platform: "linux/amd64",
            });
        });

        it("reports each image with its stage and test summary", async () => {
            const report = (await unwrap(outputs.report as never)) as Record<
                string,
                { production: null; images: { stage: string; tests: Record<string, unknown> }[] }
            >;
            const x86 = report["debian12-x86_64"];
            assert.strictEqual(x86.production, null);
            assert.deepStrictEqual(
                x86.images.map((i) => i.stage),
                ["test", "test"],
            );
            assert.strictEqual(
                await unwrap(x86.images[0].tests["unmanaged-virtual"] as never),
                "9 passed, 0 failed (0 image, 0 infra), 1 skipped",
            );
        });
    });

    describe("site-example stack (promotion, all use cases, vendor)", () => {
        let resources: Recorded[];
        const invokes: { token: string; args: Record<string, unknown> }[] = [];
        before(async () => {
            ({ resources } = await runProgram("site-example", stackConfig("site-example"), {
                glance: siteGlance(),
                hidden: HIDDEN,
                secrets: SECRETS,
                invokes,
            }));
        });

        it("publishes the promoted release in place: same image resource, renamed, public, with its evidence", () => {
            const image = byName(resources, "cs9-x86_64-bios-2026-10-01-image");
            assert.strictEqual(image.inputs.name, "CS9 - x86_64");
            assert.strictEqual(image.inputs.visibility, "public");
            assert.strictEqual(image.inputs.hidden, false);
            const props = image.inputs.properties as Record<string, string>;
            assert.strictEqual(props.osimages_test_result, "passed");
            assert.strictEqual(props.osimages_tested_sha256, props.osimages_sha256);
            assert.strictEqual(
                byName(resources, "cs9-x86_64-uefi-2026-10-01-image").inputs.name,
                "CS9 - x86_64 UEFI",
            );
            assert.strictEqual(
                byName(resources, "cs9-aarch64-uefi-2026-10-01-image").inputs.name,
                "CS9 - aarch64",
            );
        });

        it("flips the very same image resource on promotion: before, a shared TEST image; after, production", async () => {
            const config = stackConfig("site-example");
            const distros = config.distros as Record<string, Record<string, unknown>>;
            const before = await runProgram(
                "site-example",
                { ...config, distros: { cs9: { ...distros.cs9, promote: "2026-09-01" } } },
                { glance: siteGlance(), secrets: SECRETS },
            );
            const after = await runProgram(
                "site-example",
                { ...config, distros: { cs9: distros.cs9 } },
                { glance: siteGlance(), secrets: SECRETS },
            );
            const was = byName(before.resources, "cs9-x86_64-bios-2026-10-01-image");
            const is = byName(after.resources, "cs9-x86_64-bios-2026-10-01-image");
            assert.deepStrictEqual(
                [was.inputs.name, was.inputs.visibility, was.inputs.hidden],
                ["CS9 - x86_64 [2026-10-01] TEST", "shared", false],
            );
            assert.deepStrictEqual(
                [is.inputs.name, is.inputs.visibility, is.inputs.hidden],
                ["CS9 - x86_64", "public", false],
            );
            // Same parent chain and upload: an in-place update, not a new image.
            assert.strictEqual(is.parent, was.parent);
            assert.strictEqual(is.inputs.localFilePath, was.inputs.localFilePath);
            const oldProduction = byName(after.resources, "cs9-x86_64-bios-2026-09-01-image");
            assert.deepStrictEqual(
                [
                    byName(before.resources, "cs9-x86_64-bios-2026-09-01-image").inputs.name,
                    oldProduction.inputs.name,
                ],
                ["CS9 - x86_64", "CS9 - x86_64 [2026-09-01]"],
            );
            // Testing stops once the release is published.
            assert.ok(
                before.resources.some(
                    (r) => r.name === "cs9-x86_64-bios-2026-10-01-unmanaged-virtual-server",
                ),
            );
            assert.ok(
                !after.resources.some(
                    (r) => r.name === "cs9-x86_64-bios-2026-10-01-unmanaged-virtual-server",
                ),
            );
        });

        it("shares TEST images to the configured clouds.test.projectId, without asking Keystone", () => {
            const members = byType(resources, "openstack:images/imageAccess:ImageAccess");
            assert.ok(members.length > 0);
            for (const m of members) {
                assert.strictEqual(m.inputs.memberId, "0c4d6a1f0b6e4f0e9a1f2b3c4d5e6f70");
            }
            assert.ok(!invokes.some((i) => i.token.startsWith("openstack:identity/")));
        });

        it("demotes the previous production release to a dated hidden image", () => {
            const image = byName(resources, "cs9-x86_64-bios-2026-09-01-image");
            assert.strictEqual(image.inputs.name, "CS9 - x86_64 [2026-09-01]");
            assert.strictEqual(image.inputs.visibility, "public");
            assert.strictEqual(image.inputs.hidden, true);
        });

        it("freezes the bytes of published releases: their build never re-runs on changed inputs", () => {
            assert.deepStrictEqual(byName(resources, "cs9-x86_64-2026-10-01-build").ignoreChanges, [
                "create",
                "environment",
            ]);
            assert.deepStrictEqual(
                byName(resources, "cs9-x86_64-2026-11-01-build").ignoreChanges,
                [],
            );
        });

        it("builds aarch64 for UEFI only, and the container image from the first arch only", () => {
            assert.ok(byName(resources, "cs9-aarch64-uefi-2026-11-01-image"));
            assert.ok(!resources.some((r) => r.name === "cs9-aarch64-bios-2026-11-01-image"));
            assert.ok(byName(resources, "cs9-x86_64-2026-11-01-container"));
            assert.ok(!resources.some((r) => r.name === "cs9-aarch64-2026-11-01-container"));
        });

        it("tests only the release in test, on every use case, physical ones on the bare-metal flavor", () => {
            const servers = byType(resources, "command:local:Command").filter(
                (r) => r.name.startsWith("cs9-x86_64-bios") && r.name.endsWith("-server"),
            );
            assert.deepStrictEqual(servers.map((s) => s.name).sort(), [
                "cs9-x86_64-bios-2026-11-01-managed-physical-server",
                "cs9-x86_64-bios-2026-11-01-managed-virtual-server",
                "cs9-x86_64-bios-2026-11-01-unmanaged-physical-server",
                "cs9-x86_64-bios-2026-11-01-unmanaged-virtual-server",
            ]);
            const metal = byName(resources, "cs9-x86_64-bios-2026-11-01-managed-physical-server");
            const env = (metal.inputs.environment as { value: Record<string, string> }).value;
            assert.deepStrictEqual(
                [env.FLAVOR, env.KEY_PAIR, env.NETWORK, env.IMAGE_ID],
                [
                    "p1.metal",
                    "linux-images-ci",
                    "linux-images-test-net",
                    "cs9-x86_64-bios-2026-11-01-image-id",
                ],
            );
            assert.match(
                String(metal.inputs.stdin),
                /puppet config set --section main server puppet\.example\.org/,
            );
            // Booted in the test project, with the key of testing.keyPair.
            assert.deepStrictEqual(
                [env.OS_CLOUD, env.OS_PROJECT_NAME, env.SSH_PRIVATE_KEY],
                ["site-test", "linux-images-test", SECRETS.sshPrivateKey],
            );
            assert.ok(
                !resources.some(
                    (r) =>
                        r.name.startsWith("cs9-x86_64-bios-2026-10-01-") &&
                        r.name.endsWith("-server"),
                ),
            );
        });

        it("publishes latest, major and date container tags for the promoted release only", () => {
            const tags = byType(resources, "docker:index/tag:Tag").filter((r) =>
                r.name.startsWith("cs9-"),
            );
            assert.deepStrictEqual(tags.map((t) => t.inputs.targetImage).sort(), [
                "registry.example.org/linux/cs9:2026-10-01",
                "registry.example.org/linux/cs9:9",
                "registry.example.org/linux/cs9:latest",
            ]);
            // Pulled by digest only after the container test passed, then tagged from that digest.
            const pull = byName(resources, "cs9-x86_64-2026-10-01-container-pull");
            assert.ok(
                pull.dependencies.some((d) => d.endsWith("cs9-x86_64-2026-10-01-container-test")),
                pull.dependencies.join(),
            );
            assert.match(
                String(pull.inputs.name),
                /^registry\.internal\.example\.org\/linux\/test\/cs9:2026-10-01-test@sha256:[0-9a-f]{64}$/,
            );
            for (const t of tags) {
                assert.strictEqual(t.inputs.sourceImage, pull.inputs.name, t.name);
                assert.ok(
                    t.dependencies.some((d) => d.endsWith("cs9-x86_64-2026-10-01-container-pull")),
                    t.name,
                );
            }
            assert.strictEqual(
                byName(resources, "cs9-x86_64-2026-11-01-container-image").inputs.imageName,
                "registry.internal.example.org/linux/test/cs9:2026-11-01-test",
            );
        });

        it("gives the vendor token to vendor downloads only, as a secret", () => {
            const rhel = byName(resources, "rhel9-x86_64-2026-11-01-build").inputs
                .environment as Record<string, unknown>;
            assert.strictEqual(rhel[SECRET_SIG], "1b47061264138c4ac30d75fd1eb44270");
            assert.strictEqual((rhel.value as Record<string, string>).VENDOR_TOKEN, "VENDOR-TOKEN");
            const koji = byName(resources, "cs9-x86_64-2026-11-01-build").inputs
                .environment as Record<string, string>;
            assert.strictEqual(koji.VENDOR_TOKEN, undefined);
            assert.strictEqual(koji.KOJI_TARGET, "cs9-image-build");
        });

        it("builds each vendor release from the vendor version it names", () => {
            const env = byName(resources, "rhel9-x86_64-2026-11-01-build").inputs.environment as {
                value: Record<string, string>;
            };
            assert.strictEqual(env.value.VENDOR_IMAGE, "rhel-9.7-x86_64-kvm.qcow2");
        });

        it("retires releases beyond keep and skips a vendor release with no new vendor version", async () => {
            const config = stackConfig("site-example");
            const rhel9 = {
                releases: ["2026-08-01", "2026-09-01", "2026-10-01", "2026-11-01"],
                keep: 3,
                promote: "2026-10-01",
                vendorVersions: { "2026-09-01": "9.5", "2026-10-01": "9.6", "2026-11-01": "9.6" },
            };
            const run = await runProgram(
                "site-example",
                { ...config, distros: { rhel9 } },
                { glance: siteGlance(), secrets: SECRETS },
            );
            const built = byType(run.resources, "command:local:Command")
                .filter((r) => r.name.startsWith("rhel9-x86_64-") && r.name.endsWith("-build"))
                .map((r) => r.name);
            assert.deepStrictEqual(built.sort(), [
                "rhel9-x86_64-2026-09-01-build",
                "rhel9-x86_64-2026-10-01-build",
            ]);
            const report = (await unwrap(run.outputs.report as never)) as Record<
                string,
                { retired: string[]; vendorSkipped: string[] }
            >;
            assert.deepStrictEqual(report["rhel9-x86_64"].retired, ["2026-08-01"]);
            assert.deepStrictEqual(report["rhel9-x86_64"].vendorSkipped, ["2026-11-01"]);
        });

        it("hands the production password to the evidence step only as a secret", () => {
            const evidence = byName(resources, "cs9-x86_64-bios-2026-11-01-evidence");
            const env = evidence.inputs.environment as Record<string, unknown>;
            assert.strictEqual(env[SECRET_SIG], "1b47061264138c4ac30d75fd1eb44270");
            assert.strictEqual((env.value as Record<string, string>).OS_PASSWORD, "p");
        });

        it("satisfies the policy pack on every image", () => {
            for (const image of images(resources)) {
                for (const rule of [
                    publicWithoutEvidence,
                    missingProperties,
                    productionNamedTest,
                ]) {
                    assert.strictEqual(
                        rule(image.inputs as never),
                        undefined,
                        `${image.name}: ${rule.name}`,
                    );
                }
            }
        });

        it("finds the hidden previous release through a second, hidden lookup, and never asks for visibility all", () => {
            const asked = invokes
                .filter(
                    (i) =>
                        (i.args.properties as Record<string, string>).osimages_build_key ===
                        "cs9-x86_64-bios-2026-09-01",
                )
                .map((i) => [i.args.hidden, i.args.visibility]);
            assert.deepStrictEqual(asked, [
                [false, undefined],
                [true, undefined],
            ]);
            assert.strictEqual(
                byName(resources, "cs9-x86_64-bios-2026-09-01-image").inputs.name,
                "CS9 - x86_64 [2026-09-01]",
            );
        });

        it("reads the evidence of every kept image through the production provider, and refuses only on pointers", () => {
            const keys = invokes
                .filter((i) => i.token === "openstack:images/getImage:getImage")
                .map((i) => (i.args.properties as Record<string, string>).osimages_build_key);
            for (const k of [
                "cs9-x86_64-bios-2026-09-01",
                "cs9-x86_64-bios-2026-10-01",
                "cs9-x86_64-bios-2026-11-01",
                "rocky9-x86_64-bios-2026-11-01",
            ]) {
                assert.ok(keys.includes(k), k);
            }
            // rocky9 has no pointer and no image yet: nothing to refuse, the update goes ahead.
            assert.ok(byName(resources, "rocky9-x86_64-bios-2026-11-01-image"));
        });

        it("restates on a TEST image the evidence Glance holds for its bytes, so an update keeps it", async () => {
            const config = stackConfig("site-example");
            const distros = config.distros as Record<string, Record<string, unknown>>;
            const glance: Record<string, Record<string, string>> = {
                ...siteGlance(),
                "cs9-x86_64-bios-2026-11-01": passedImage("cs9", "x86_64", "bios", "2026-11-01"),
            };
            glance["cs9-x86_64-uefi-2026-11-01"] = {
                ...passedImage("cs9", "x86_64", "uefi", "2026-11-01"),
                osimages_tested_sha256: "f".repeat(64),
            };
            const run = await runProgram(
                "site-example",
                { ...config, distros: { cs9: distros.cs9 } },
                { glance, hidden: HIDDEN, secrets: SECRETS },
            );
            const bios = byName(run.resources, "cs9-x86_64-bios-2026-11-01-image").inputs
                .properties as Record<string, string>;
            assert.strictEqual(bios.osimages_test_result, "passed");
            assert.strictEqual(bios.osimages_tested_at, "2026-10-03T08:00:00Z");
            assert.strictEqual(
                byName(run.resources, "cs9-x86_64-bios-2026-11-01-image").inputs.name,
                "CS9 - x86_64 [2026-11-01] TEST",
            );
            // Evidence for other bytes (a rebuild since) is not restated.
            const uefi = byName(run.resources, "cs9-x86_64-uefi-2026-11-01-image").inputs
                .properties as Record<string, string>;
            assert.strictEqual(uefi.osimages_test_result, undefined);
        });

        it("keeps each distro's pipeline independent of the others", async () => {
            const config = stackConfig("site-example");
            const distros = config.distros as Record<string, unknown>;
            const { resources: cs9Only } = await runProgram(
                "site-example",
                { ...config, distros: { cs9: distros.cs9 } },
                { glance: siteGlance(), secrets: SECRETS },
            );
            const shape = (rs: Recorded[]) =>
                rs
                    .filter((r) => r.name.startsWith("cs9-"))
                    .map((r) => JSON.stringify([r.type, r.name, r.inputs]))
                    .sort();
            assert.deepStrictEqual(shape(cs9Only), shape(resources));
        });
    });

    describe("refusals: bad input changes nothing", () => {
        it("refuses to promote a release without passed evidence, before registering anything", async () => {
            const glance = siteGlance();
            delete glance["cs9-aarch64-uefi-2026-10-01"];
            glance["alma9-x86_64-bios-2026-10-01"] = {
                ...glance["alma9-x86_64-bios-2026-10-01"],
                osimages_test_result: "pending",
                osimages_tested_at: "2026-11-02T10:00:00Z",
            };
            const recorded: Recorded[] = [];
            await assert.rejects(
                runProgram("site-example", stackConfig("site-example"), {
                    glance,
                    secrets: SECRETS,
                    recorded,
                }),
                (e: Error) => {
                    assert.match(
                        e.message,
                        /promotion refused by the evidence gate \(stacks\/Pulumi\.site-example\.yaml\)/,
                    );
                    assert.match(
                        e.message,
                        /cannot promote cs9 aarch64 \(uefi\) release 2026-10-01: it was never built and uploaded/,
                    );
                    assert.match(
                        e.message,
                        /cannot promote alma9 x86_64 \(bios\) release 2026-10-01: its tests have not passed \(pending since 2026-11-02T10:00:00Z/,
                    );
                    return true;
                },
            );
            // Only the providers the lookups needed: no image, build or machine.
            await new Promise((r) => setTimeout(r, 50));
            assert.deepStrictEqual(
                [...new Set(recorded.map((r) => r.type))],
                ["pulumi:providers:openstack"],
            );
        });

        it("refuses an unknown distro in the stack file at load", async () => {
            const config = {
                ...stackConfig("lab"),
                distros: { debian13: { releases: ["2026-11-01"] } },
            };
            await assert.rejects(
                runProgram("lab", config),
                /stacks\/Pulumi\.lab\.yaml: distros\.debian13: unknown distro/,
            );
        });

        it("refuses config that is not valid JSON, naming the key", async () => {
            await assert.rejects(
                runProgram("lab", { ...stackConfig("lab"), testing: "{not json" }),
                /stacks\/Pulumi\.lab\.yaml: testing: /,
            );
        });

        it("refuses promoting a vendor release that was skipped", async () => {
            const config = stackConfig("site-example");
            const distros = config.distros as Record<string, Record<string, unknown>>;
            distros.rhel9 = {
                ...distros.rhel9,
                promote: "2026-11-01",
                vendorVersions: { "2026-10-01": "9.6", "2026-11-01": "9.6" },
            };
            await assert.rejects(
                runProgram("site-example", config, { glance: siteGlance(), secrets: SECRETS }),
                /distros\.rhel9\.promote: 2026-11-01 is skipped/,
            );
        });
    });
});
