import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "../config";
import { Arch, DistroEntry } from "../distros/schema";
import { backendOf, BuildCommand } from "../model/backends";

export interface ImageBuildArgs {
    /** Catalogue entry of the distro. */
    entry: DistroEntry;
    /** Architecture to build. */
    arch: Arch;
    /** Monthly build id. */
    release: string;
    /** The stack's builder settings. */
    builders: StackConfig["builders"];
    /** Vendor version downloaded for this release (vendor backend only). */
    vendorVersion?: string;
    /** Once a release left the test stage its bytes are frozen: changed build inputs do not rebuild it. */
    frozen: boolean;
    /** Vendor subscription token (secret), sent by the vendor download only. */
    vendorToken?: pulumi.Output<string>;
}

/** A Koji image build waits for the whole install; three hours covers the slowest arch. */
const BUILD_TIMEOUT = "3h";

/** What the build command prints as its last line. */
export interface BuildResult {
    /** Path of the qcow2 artefact on the runner. */
    artefact: string;
    sha256: string;
    /** Root filesystem tarball for the container image, when the backend produces one. */
    rootfs?: string;
    /** The image's package manifest beside the artefact (model/packages.ts reads it). */
    manifest?: string;
    /** sha256 of the manifest (of its package set: see model/packages.ts, manifestDigest). */
    manifestSha256?: string;
}

const SHA256 = /^[0-9a-f]{64}$/;
/** An absent or empty field: builds made before manifests (kept in a state) report none. */
const optional = (s: unknown) => (typeof s === "string" && s !== "" ? s : undefined);

/** Chooses the backend's command and its environment; throws naming the missing builder setting. */
export function buildCommand(args: Omit<ImageBuildArgs, "frozen" | "vendorToken">): BuildCommand {
    return backendOf(args.entry).command(args);
}

/** Parses the JSON result line the build scripts print last; throws with the output tail. */
export function parseBuildResult(stdout: string): BuildResult {
    const last = stdout.trim().split("\n").pop() ?? "";
    try {
        const r = JSON.parse(last) as Partial<BuildResult>;
        if (
            typeof r.artefact === "string" &&
            typeof r.sha256 === "string" &&
            SHA256.test(r.sha256) &&
            (r.manifestSha256 === undefined || SHA256.test(r.manifestSha256))
        ) {
            return {
                artefact: r.artefact,
                sha256: r.sha256,
                rootfs: optional(r.rootfs),
                manifest: optional(r.manifest),
                manifestSha256: r.manifestSha256,
            };
        }
    } catch {
        // reported below with the output
    }
    throw new Error(
        `build did not report {"artefact","sha256"} as its last line; output ended with:\n${last}`,
    );
}

/** Builds one image (one distro, arch and release) with the distro's backend. */
export class ImageBuild extends pulumi.ComponentResource {
    /** Path of the built qcow2 on the runner. */
    public readonly artefact: pulumi.Output<string>;
    /** sha256 of the artefact. */
    public readonly sha256: pulumi.Output<string>;
    /** Root filesystem tarball, for the container image. */
    public readonly rootfs: pulumi.Output<string | undefined>;
    /** The image's package manifest on the runner; undefined for builds made before manifests. */
    public readonly manifest: pulumi.Output<string | undefined>;
    /** sha256 of the package manifest, for Glance's `osimages_manifest_sha256`. */
    public readonly manifestSha256: pulumi.Output<string | undefined>;

    constructor(name: string, args: ImageBuildArgs, opts?: pulumi.ComponentResourceOptions) {
        super("osimages:build:ImageBuild", name, {}, opts);
        const cmd = buildCommand(args);
        const build = new command.local.Command(
            `${name}-build`,
            {
                create: cmd.create,
                environment: {
                    ...cmd.environment,
                    ...(args.vendorToken && args.entry.build.backend === "vendor"
                        ? { VENDOR_TOKEN: args.vendorToken }
                        : {}),
                },
                logging: "stderr",
            },
            {
                parent: this,
                customTimeouts: { create: BUILD_TIMEOUT, update: BUILD_TIMEOUT },
                ignoreChanges: args.frozen ? ["create", "environment"] : [],
            },
        );
        const result = build.stdout.apply(parseBuildResult);
        this.artefact = result.apply((r) => r.artefact);
        this.sha256 = result.apply((r) => r.sha256);
        this.rootfs = result.apply((r) => r.rootfs);
        this.manifest = result.apply((r) => r.manifest);
        this.manifestSha256 = result.apply((r) => r.manifestSha256);
        this.registerOutputs({
            artefact: this.artefact,
            sha256: this.sha256,
            rootfs: this.rootfs,
            manifest: this.manifest,
            manifestSha256: this.manifestSha256,
        });
    }
}
