import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { CloudConfig, DistroConfig, StackConfig, StackSecrets, useCasesFor } from "../config";
import { Arch, BootMode, DistroEntry } from "../distros/schema";
import { backendOf } from "../model/backends";
import { ContainerImage } from "./containerImage";
import { Evidence, restatedEvidence } from "../model/evidence";
import { GlanceImage, glanceProperties } from "./glanceImage";
import { ImageBuild } from "./imageBuild";
import { bootModesOf, buildKey, imageName, ReleasePlan } from "../model/lifecycle";
import { Providers } from "./providers";
import { TestInstance } from "./testInstance";
import { suitesDigest, TestRun } from "./testRun";
import { userData } from "./userData";

// Relative to the project directory, where Pulumi runs commands: moving the checkout changes nothing.
const RECORD_EVIDENCE = "scripts/record-evidence.sh";

export interface DistroPipelineArgs {
    /** Catalogue entry. */
    entry: DistroEntry;
    /** Architecture of this pipeline. */
    arch: Arch;
    /** The distro's stack config. */
    distro: DistroConfig;
    /** Kept releases and their stages (from `planReleases`). */
    plan: ReleasePlan[];
    /** Evidence read from Glance before anything was registered, by build key. */
    evidence: Map<string, Evidence>;
    /** The whole stack config (builders, registries, testing). */
    stack: StackConfig;
    /** One provider per phase. */
    providers: Providers;
    /** Stack secrets. */
    secrets: StackSecrets;
    /** Runner directory for container build contexts. */
    workDir: string;
    /** Whether this arch's pipeline builds the distro's container image. */
    buildsContainer: boolean;
}

/** What the pipeline reports per image. */
export interface ImageReport {
    release: string;
    bootMode: BootMode;
    stage: string;
    name: pulumi.Output<string>;
    imageId: pulumi.Output<string>;
    tests: Record<string, pulumi.Output<string>>;
}

/**
 * Environment for the `openstack` CLI steps: the same cloud, project and region as the provider
 * of that phase, and the password only when one is configured (it stays a secret in the state).
 */
export function cliEnvironment(
    cloud: CloudConfig,
    password?: pulumi.Output<string | undefined>,
): Record<string, pulumi.Input<string>> {
    return {
        OS_CLOUD: cloud.cloud,
        OS_PROJECT_NAME: cloud.project,
        ...(cloud.region ? { OS_REGION_NAME: cloud.region } : {}),
        ...(password ? { OS_PASSWORD: password.apply((p) => p ?? "") } : {}),
    };
}

/** The whole monthly cycle of one distro on one arch: build, upload, test, evidence, container. */
export class DistroPipeline extends pulumi.ComponentResource {
    public readonly images: ImageReport[] = [];
    /** Container references per release: the internal test tag, then any published tags. */
    public readonly containers: Record<string, pulumi.Output<string[]>> = {};

    constructor(name: string, args: DistroPipelineArgs, opts?: pulumi.ComponentResourceOptions) {
        super("osimages:pipeline:DistroPipeline", name, {}, opts);
        const { entry, arch, stack } = args;
        const bootModes = bootModesOf(entry, arch);
        for (const { release, stage } of args.plan) {
            const build = new ImageBuild(
                `${name}-${release}`,
                {
                    entry,
                    arch,
                    release,
                    builders: stack.builders,
                    vendorVersion: args.distro.vendorVersions?.[release],
                    vendorToken: args.secrets.vendorToken,
                    frozen: stage !== "test",
                },
                { parent: this },
            );
            for (const bootMode of bootModes) {
                const key = buildKey(entry.key, arch, bootMode, release);
                const evidence = args.evidence.get(key);
                const image = new GlanceImage(
                    key,
                    {
                        imageName: imageName(entry, arch, bootMode, release, stage),
                        stage,
                        artefact: build.artefact,
                        properties: build.sha256.apply((sha256) => ({
                            ...glanceProperties({
                                entry,
                                arch,
                                bootMode,
                                release,
                                key,
                                source: backendOf(entry).imageSource(entry, stack.builders),
                                keep: args.distro.keep,
                            }),
                            osimages_sha256: sha256,
                            // Every image restates the evidence it carries for these bytes: the
                            // provider would otherwise drop these out-of-band properties on any
                            // update, and the policy pack checks them on published images.
                            ...(evidence?.testedSha256 === sha256
                                ? restatedEvidence(evidence)
                                : {}),
                        })),
                        testProjectId: stack.clouds.test.projectId,
                        owner: args.providers.production,
                        tester: args.providers.test,
                    },
                    { parent: this },
                );
                const tests = stage === "test" ? this.test(key, image, build, args) : {};
                this.images.push({
                    release,
                    bootMode,
                    stage,
                    name: image.name,
                    imageId: image.imageId,
                    tests,
                });
            }
            if (
                entry.container !== "none" &&
                args.buildsContainer &&
                (stage === "test" || stage === "production")
            ) {
                const container = new ContainerImage(
                    `${name}-${release}-container`,
                    {
                        rootfs: build.rootfs.apply((r) => r ?? ""),
                        repository: entry.key,
                        release,
                        major: entry.osVersion,
                        internalRegistry: stack.registries.internal,
                        publicRegistry: stack.registries.public,
                        publish: stage === "production",
                        workDir: args.workDir,
                        platform: arch === "x86_64" ? "linux/amd64" : "linux/arm64",
                    },
                    { parent: this, providers: [args.providers.docker] },
                );
                this.containers[release] = pulumi
                    .all([container.testImage, container.published])
                    .apply(([test, published]) => [test, ...published]);
            }
        }
        this.registerOutputs({ images: this.images, containers: this.containers });
    }

    /** Boots the image per use case, runs the suites, then records the evidence on the image. */
    private test(
        key: string,
        image: GlanceImage,
        build: ImageBuild,
        args: DistroPipelineArgs,
    ): Record<string, pulumi.Output<string>> {
        const { entry, stack } = args;
        const testing = stack.testing;
        const useCases = useCasesFor(entry, stack);
        const cli = cliEnvironment(
            stack.clouds.production,
            args.secrets.cloudPasswords?.apply((p) => p?.production),
        );
        // Whenever the tests of this image (re)start, what passed before stops counting: a
        // failing re-run must not leave an old "passed" on the image.
        const reset = new command.local.Command(
            `${key}-evidence-reset`,
            {
                create: `bash ${RECORD_EVIDENCE} pending`,
                environment: { ...cli, IMAGE_ID: image.imageId, SHA256: build.sha256 },
                // Everything that makes a test machine or a run start again. (A rotated SSH key
                // re-runs the tests too; being a secret, it is left out: see the README.)
                triggers: [
                    image.imageId,
                    build.sha256,
                    suitesDigest(),
                    JSON.stringify(testing.siteEnvironment),
                    useCases.join(","),
                    JSON.stringify({
                        userData: useCases.map((u) => userData(u, testing.agent)),
                        flavors: testing.flavors,
                        network: testing.network,
                        keyPair: testing.keyPair,
                    }),
                ],
            },
            { parent: this, customTimeouts: { create: "10m" } },
        );
        const runs = useCases.map((useCase) => {
            const instance = new TestInstance(
                `${key}-${useCase}`,
                {
                    backend: testing.backend,
                    imageId: image.imageId,
                    useCase,
                    userData: userData(useCase, testing.agent),
                    flavors: testing.flavors,
                    network: testing.network,
                    keyPair: testing.keyPair,
                    provider: args.providers.test,
                    labEnvironment: {
                        ...cliEnvironment(
                            stack.clouds.test,
                            args.secrets.cloudPasswords?.apply((p) => p?.test),
                        ),
                        WORK_DIR: args.workDir,
                        ARCH: args.arch,
                        LAB_USER: entry.adminUser,
                    },
                    bootTimeout: testing.bootTimeout,
                },
                // After the share to the test project exists, and after the evidence reset.
                { parent: this, dependsOn: [image, reset] },
            );
            const privateKey = instance.privateKey ?? args.secrets.sshPrivateKey;
            if (!privateKey)
                throw new Error(
                    `${key}: testing needs the sshPrivateKey secret of testing.keyPair`,
                );
            const run = new TestRun(
                `${key}-${useCase}-test`,
                {
                    host: instance.host,
                    port: instance.port,
                    user: entry.adminUser,
                    privateKey,
                    useCase,
                    siteEnvironment: testing.siteEnvironment,
                    bootTimeout: testing.bootTimeout,
                    suiteTimeout: testing.suiteTimeout,
                },
                { parent: this },
            );
            return { useCase, run };
        });
        const summary = pulumi
            .all(runs.map((r) => r.run.summary))
            .apply((s) => runs.map((r, i) => `${r.useCase}: ${s[i]}`).join("; "));
        new command.local.Command(
            `${key}-evidence`,
            {
                create: `bash ${RECORD_EVIDENCE} passed`,
                environment: {
                    ...cli,
                    IMAGE_ID: image.imageId,
                    SHA256: build.sha256,
                    SUMMARY: summary,
                    USE_CASES: useCases.join(","),
                },
                // Recorded again after every reset, i.e. after every re-run of the tests.
                triggers: [reset.id],
            },
            { parent: this, dependsOn: runs.map((r) => r.run), customTimeouts: { create: "10m" } },
        );
        return Object.fromEntries(runs.map((r) => [r.useCase, r.run.summary]));
    }
}
