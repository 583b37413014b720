import * as pulumi from "@pulumi/pulumi";
import { StackConfig, StackSecrets } from "../config";
import { BootMode } from "../distros/schema";
import { backendOf } from "../model/backends";
import { restatedEvidence } from "../model/evidence";
import { MANIFEST_PROPERTY } from "../model/packages";
import { ImageRecord, PipelineRecord, ReleaseRecord } from "../model/plan";
import { buildName, containerName, imageComponentName } from "../model/resourceNames";
import { ContainerImage } from "./containerImage";
import { GlanceImage, glanceProperties } from "./glanceImage";
import { ImageBuild } from "./imageBuild";
import { ImageTest } from "./imageTest";
import { Providers } from "./providers";

export interface DistroPipelineArgs {
    /** The plan of this distro on this arch: kept releases, stages, names, evidence read. */
    plan: PipelineRecord;
    /** How many releases the stack keeps, for `uuid_validity`. */
    keep: number;
    /** Builder settings of the stack. */
    builders: StackConfig["builders"];
    /** Registries of the container image. */
    registries: StackConfig["registries"];
    /** Test settings of the stack. */
    testing: StackConfig["testing"];
    /** Clouds of both phases (the test project is made a member of TEST images). */
    clouds: StackConfig["clouds"];
    /** The project TEST images are shared to, when tests run in another project. */
    testProjectId?: pulumi.Input<string>;
    /** One provider per phase, and Docker's. */
    providers: Providers;
    /** Stack secrets. */
    secrets: StackSecrets;
    /** Runner directory for container build contexts and lab machines. */
    workDir: string;
}

/** What the pipeline reports per image. */
export interface ImageReport {
    release: string;
    bootMode: BootMode;
    stage: string;
    name: pulumi.Output<string>;
    imageId: pulumi.Output<string>;
    tests: Record<string, pulumi.Output<string>>;
    /** While in test: what the evidence step recorded (suites version, JUnit digest, retries). */
    evidence?: ImageTest["evidence"];
}

/** The whole monthly cycle of one distro on one arch: build, upload, test, evidence, container. */
export class DistroPipeline extends pulumi.ComponentResource {
    public readonly images: ImageReport[] = [];
    /** Container references per release: the internal test tag, then any published tags. */
    public readonly containers: Record<string, pulumi.Output<string[]>> = {};

    constructor(name: string, args: DistroPipelineArgs, opts?: pulumi.ComponentResourceOptions) {
        super("osimages:pipeline:DistroPipeline", name, {}, opts);
        const { entry, arch } = args.plan;
        for (const release of args.plan.releases) {
            const build = new ImageBuild(
                buildName(name, release.release),
                {
                    entry,
                    arch,
                    release: release.release,
                    builders: args.builders,
                    vendorVersion: release.vendorVersion,
                    vendorToken: args.secrets.vendorToken,
                    frozen: release.stage !== "test",
                },
                { parent: this },
            );
            for (const image of release.images) this.image(image, build, args);
            if (release.container) this.container(name, release, build, args);
        }
        this.registerOutputs({ images: this.images, containers: this.containers });
    }

    /** The Glance image of one firmware, and its tests while the release is in test. */
    private image(image: ImageRecord, build: ImageBuild, args: DistroPipelineArgs): void {
        const { entry, arch } = args.plan;
        const built = pulumi.all([build.sha256, build.manifestSha256]);
        const glance = new GlanceImage(
            imageComponentName(image.key),
            {
                imageName: image.name,
                stage: image.stage,
                artefact: build.artefact,
                properties: built.apply(([sha256, manifest]) => ({
                    ...glanceProperties({
                        entry,
                        arch,
                        bootMode: image.bootMode,
                        release: image.release,
                        key: image.key,
                        source: backendOf(entry).imageSource(entry, args.builders),
                        keep: args.keep,
                    }),
                    osimages_sha256: sha256,
                    ...(manifest ? { [MANIFEST_PROPERTY]: manifest } : {}),
                    // Every image restates the evidence it carries for these bytes: the provider
                    // would otherwise drop these out-of-band properties on any update, and the
                    // policy pack checks them on published images.
                    ...(image.evidence?.testedSha256 === sha256
                        ? restatedEvidence(image.evidence)
                        : {}),
                })),
                testProjectId: args.testProjectId,
                owner: args.providers.production,
                tester: args.providers.test,
            },
            { parent: this },
        );
        const test =
            image.useCases.length > 0
                ? new ImageTest(
                      imageComponentName(image.key),
                      {
                          imageId: glance.imageId,
                          sha256: build.sha256,
                          arch,
                          bootMode: image.bootMode,
                          adminUser: entry.adminUser,
                          useCases: image.useCases,
                          testing: args.testing,
                          clouds: args.clouds,
                          cloudPasswords: args.secrets.cloudPasswords,
                          sshPrivateKey: args.secrets.sshPrivateKey,
                          workDir: args.workDir,
                          bootAfter: [glance],
                      },
                      { parent: this },
                  )
                : undefined;
        this.images.push({
            release: image.release,
            bootMode: image.bootMode,
            stage: image.stage,
            name: glance.name,
            imageId: glance.imageId,
            tests: test?.summaries ?? {},
            ...(test ? { evidence: test.evidence } : {}),
        });
    }

    /** The release's container image: tested, and published when the plan says so. */
    private container(
        name: string,
        release: ReleaseRecord,
        build: ImageBuild,
        args: DistroPipelineArgs,
    ): void {
        const { entry, arch } = args.plan;
        const container = new ContainerImage(
            containerName(name, release.release),
            {
                rootfs: build.rootfs.apply((r) => r ?? ""),
                repository: entry.key,
                release: release.release,
                major: entry.osVersion,
                internalRegistry: args.registries.internal,
                publicRegistry: args.registries.public,
                publish: release.publishContainer,
                workDir: args.workDir,
                platform: arch === "x86_64" ? "linux/amd64" : "linux/arm64",
            },
            { parent: this, providers: [args.providers.docker] },
        );
        this.containers[release.release] = pulumi
            .all([container.testImage, container.published])
            .apply(([test, published]) => [test, ...published]);
    }
}
