// Each component built alone under mocks, with its children and their inputs asserted (the way
// pulumi-awsx tests its components); the whole program is tested in program.test.ts.
import * as assert from "assert";
import * as command from "@pulumi/command";
import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { ContainerImage } from "../../components/containerImage";
import { GlanceImage } from "../../components/glanceImage";
import { ImageBuild } from "../../components/imageBuild";
import { ImageTest } from "../../components/imageTest";
import { TestInstance } from "../../components/testInstance";
import { parseStackConfig } from "../../config";
import { loadCatalogue } from "../../distros/catalogue";
import { byName, byType, Recorded, runComponents, stackConfig } from "./harness";

const catalogue = loadCatalogue();
const debian12 = catalogue.get("debian12")!;
const site = parseStackConfig(
    stackConfig("site-example"),
    "stacks/Pulumi.site-example.yaml",
    catalogue,
);

const names = (rs: Recorded[]) => rs.map((r) => `${r.type} ${r.name}`).sort();

function cloud(name: string) {
    return new openstack.Provider(name, { cloud: name });
}

describe("components built alone", () => {
    it("GlanceImage in test: the image, shared to the test project, which accepts it", async () => {
        const rs = await runComponents(() => {
            new GlanceImage("k", {
                imageName: "DEBIAN12 - x86_64 [2026-11-01] TEST",
                stage: "test",
                properties: { os_distro: "debian" },
                artefact: "/runner/a.qcow2",
                testProjectId: "p-test",
                owner: cloud("production"),
                tester: cloud("test"),
            });
        });
        assert.deepStrictEqual(names(rs.filter((r) => !r.type.startsWith("pulumi:providers"))), [
            "openstack:images/image:Image k-image",
            "openstack:images/imageAccess:ImageAccess k-member",
            "openstack:images/imageAccessAccept:ImageAccessAccept k-accept",
            "osimages:glance:GlanceImage k",
        ]);
        const image = byName(rs, "k-image");
        assert.deepStrictEqual(
            [image.inputs.visibility, image.inputs.hidden, image.inputs.diskFormat],
            ["shared", false, "qcow2"],
        );
        assert.strictEqual(image.customTimeouts.create, "2h");
        assert.match(image.parent, /osimages:glance:GlanceImage::k$/);
        assert.strictEqual(byName(rs, "k-member").inputs.memberId, "p-test");
        assert.match(byName(rs, "k-accept").provider ?? "", /::test::/);
    });

    it("GlanceImage in production: public, not hidden, no share", async () => {
        const rs = await runComponents(() => {
            new GlanceImage("k", {
                imageName: "DEBIAN12 - x86_64",
                stage: "production",
                properties: {},
                artefact: "/runner/a.qcow2",
                testProjectId: "p-test",
                owner: cloud("production"),
                tester: cloud("test"),
            });
        });
        assert.deepStrictEqual(byType(rs, "openstack:images/imageAccess:ImageAccess"), []);
        const image = byName(rs, "k-image");
        assert.deepStrictEqual([image.inputs.visibility, image.inputs.hidden], ["public", false]);
    });

    it("ImageBuild: the backend's command, three hours, frozen once published", async () => {
        const rs = await runComponents(() => {
            for (const frozen of [false, true])
                new ImageBuild(`debian12-x86_64-${frozen ? "old" : "new"}`, {
                    entry: debian12,
                    arch: "x86_64",
                    release: "2026-11-01",
                    builders: { local: { workDir: ".lab/work" } },
                    frozen,
                });
        });
        const build = byName(rs, "debian12-x86_64-new-build");
        assert.strictEqual(build.inputs.create, "bash scripts/program/build/local-debian.sh");
        assert.deepStrictEqual(build.inputs.environment, {
            DISTRO: "debian12",
            ARCH: "x86_64",
            RELEASE: "2026-11-01",
            SUITE: "bookworm",
            WORK_DIR: ".lab/work",
        });
        assert.deepStrictEqual(build.customTimeouts, { create: "3h", update: "3h" });
        assert.deepStrictEqual(build.ignoreChanges, []);
        assert.deepStrictEqual(byName(rs, "debian12-x86_64-old-build").ignoreChanges, [
            "create",
            "environment",
        ]);
    });

    it("ContainerImage: a test tag only, then on publish the tested digest tagged and pushed", async () => {
        const make = (publish: boolean) =>
            runComponents(() => {
                new ContainerImage("c", {
                    rootfs: "/runner/rootfs.tar",
                    repository: "debian12",
                    release: "2026-11-01",
                    major: "12",
                    internalRegistry: "127.0.0.1:5001/osimages",
                    publicRegistry: "127.0.0.1:5002/osimages",
                    publish,
                    workDir: ".lab/work",
                    platform: "linux/amd64",
                });
            });
        const test = await make(false);
        assert.deepStrictEqual(names(test), [
            "command:local:Command c-context",
            "command:local:Command c-test",
            "docker:index/image:Image c-image",
            "osimages:container:ContainerImage c",
        ]);
        assert.strictEqual(
            byName(test, "c-image").inputs.imageName,
            "127.0.0.1:5001/osimages/debian12:2026-11-01-test",
        );
        const published = await make(true);
        const pushes = byType(published, "docker:index/registryImage:RegistryImage");
        assert.deepStrictEqual(pushes.map((p) => p.inputs.name).sort(), [
            "127.0.0.1:5002/osimages/debian12:12",
            "127.0.0.1:5002/osimages/debian12:2026-11-01",
            "127.0.0.1:5002/osimages/debian12:latest",
        ]);
        for (const p of pushes) assert.strictEqual(p.inputs.keepRemotely, true);
        // One at a time, latest last.
        assert.ok(
            byName(published, "c-push-12").dependencies.some((d) =>
                d.endsWith("c-push-2026-11-01"),
            ),
        );
        assert.ok(
            byName(published, "c-push-latest").dependencies.some((d) => d.endsWith("c-push-12")),
        );
        assert.ok(byName(published, "c-pull").dependencies.some((d) => d.endsWith("c-test")));
    });

    it("TestInstance on Nova: nova-instance.sh with the bare-metal flavor, retries and the password as secrets, after what it is given", async () => {
        const rs = await runComponents(() => {
            const before = new command.local.Command("share", { create: "true" });
            new TestInstance(
                "i",
                {
                    backend: "nova",
                    imageId: "img",
                    useCase: "managed-physical",
                    userData: "#cloud-config\n",
                    user: "cloud-user",
                    cloudEnvironment: {
                        OS_CLOUD: "site-test",
                        OS_PASSWORD: pulumi.secret("CLOUD-PASSWORD"),
                    },
                    workDir: ".state/work",
                    flavors: { virtual: "m1.small", physical: "p1.metal" },
                    network: "net",
                    keyPair: "kp",
                    sshPrivateKey: pulumi.secret("KEY"),
                    bootTimeout: "20m",
                    bootAttempts: 3,
                    restartOn: ["reset-id"],
                },
                { dependsOn: [before] },
            );
        });
        assert.deepStrictEqual(names(rs.filter((r) => r.name.startsWith("i"))), [
            "command:local:Command i-server",
            "osimages:compute:TestInstance i",
        ]);
        const server = byName(rs, "i-server");
        assert.deepStrictEqual(
            [server.inputs.create, server.inputs.delete, server.inputs.stdin],
            [
                "bash scripts/program/compute/nova-instance.sh create",
                "bash scripts/program/compute/nova-instance.sh delete",
                "#cloud-config\n",
            ],
        );
        // The whole environment reaches the engine as a secret: it holds the password and the key.
        const secret = server.inputs.environment as Record<string, unknown>;
        assert.strictEqual(
            secret["4dabf18193072939515e22adb298388d"],
            "1b47061264138c4ac30d75fd1eb44270",
        );
        assert.deepStrictEqual(secret.value, {
            OS_CLOUD: "site-test",
            OS_PASSWORD: "CLOUD-PASSWORD",
            INSTANCE: "i",
            USE_CASE: "managed-physical",
            IMAGE_ID: "img",
            // One name per stack and machine: a killed create's server is found by it.
            SERVER: "components-i",
            WORK_DIR: ".state/work",
            FLAVOR: "p1.metal",
            NETWORK: "net",
            KEY_PAIR: "kp",
            SSH_USER: "cloud-user",
            SSH_PRIVATE_KEY: "KEY",
            BOOT_ATTEMPTS: "3",
            BOOT_WAIT: "1200",
            DELETE_WAIT: "600",
        });
        // A new image or a restart of the tests gets a fresh server; the old one goes first.
        assert.deepStrictEqual(server.inputs.triggers, ["img", "reset-id"]);
        // Three attempts of 20 min, each with a deletion, and a leftover's deletion before.
        assert.deepStrictEqual(server.customTimeouts, { create: "6000s", update: "" });
        assert.ok(server.dependencies.some((d) => d.endsWith("::share")));
    });

    it("TestInstance on Nova without the key pair's private key: refused, naming the secret", async () => {
        await assert.rejects(
            runComponents(() => {
                new TestInstance("i", {
                    backend: "nova",
                    imageId: "img",
                    useCase: "unmanaged-virtual",
                    userData: "#cloud-config\n",
                    user: "cloud-user",
                    cloudEnvironment: {},
                    workDir: ".state/work",
                    flavors: { virtual: "m1.small" },
                    network: "net",
                    keyPair: "kp",
                    bootTimeout: "20m",
                });
            }),
            /i: the nova backend needs .* the sshPrivateKey secret of testing\.keyPair/,
        );
    });

    it("ImageTest: evidence reset, one machine and run per use case, evidence after every run", async () => {
        const rs = await runComponents(() => {
            new ImageTest("k", {
                imageId: "img",
                sha256: "a".repeat(64),
                arch: "x86_64",
                bootMode: "bios",
                adminUser: "cloud-user",
                useCases: ["unmanaged-virtual", "unmanaged-physical"],
                testing: site.testing,
                clouds: site.clouds,
                sshPrivateKey: pulumi.secret("key"),
                workDir: ".state/work",
                bootAfter: [],
            });
        });
        assert.deepStrictEqual(
            names(
                rs.filter(
                    (r) => r.type.startsWith("osimages:") || r.type.startsWith("command:local"),
                ),
            ),
            [
                "command:local:Command k-evidence",
                "command:local:Command k-evidence-reset",
                "command:local:Command k-unmanaged-physical-server",
                "command:local:Command k-unmanaged-virtual-server",
                "osimages:compute:TestInstance k-unmanaged-physical",
                "osimages:compute:TestInstance k-unmanaged-virtual",
                "osimages:test:ImageTest k",
                "osimages:test:TestRun k-unmanaged-physical-test",
                "osimages:test:TestRun k-unmanaged-virtual-test",
            ],
        );
        const evidence = byName(rs, "k-evidence");
        assert.strictEqual(
            evidence.inputs.create,
            "bash scripts/program/record-evidence.sh passed",
        );
        for (const u of ["unmanaged-virtual", "unmanaged-physical"])
            assert.ok(
                evidence.dependencies.some((d) => d.endsWith(`k-${u}-test-run`)),
                `${u}: ${evidence.dependencies.join(", ")}`,
            );
        assert.ok(
            byName(rs, "k-unmanaged-virtual-server").dependencies.some((d) =>
                d.endsWith("k-evidence-reset"),
            ),
        );
    });
});
