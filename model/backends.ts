import * as path from "path";
import type { DistroConfig, StackConfig } from "../config";
import { Arch, BuildSpec, DistroEntry } from "../distros/schema";

// Paths relative to the project directory, where Pulumi runs commands: a checkout elsewhere
// must not look like changed build inputs.
const BUILD_SCRIPTS = "scripts/program/build";
const DISTROS = "distros";

export type Backend = BuildSpec["backend"];
type BuildOf<B extends Backend> = Extract<BuildSpec, { backend: B }>;
type Builders = StackConfig["builders"];

/** The shell command and environment that build one image. */
export interface BuildCommand {
    create: string;
    environment: Record<string, string>;
}

/** One image to build: distro, arch, release, and the stack's builder settings. */
export interface BuildRequest {
    entry: DistroEntry;
    arch: Arch;
    release: string;
    builders: Builders;
    /** Vendor version downloaded for this release (vendor backend only). */
    vendorVersion?: string;
}

/** What a build backend needs and does: one row per backend, so adding one is one entry here. */
export interface BackendSpec {
    /** Problems of a stack that builds `key` with this backend, as `field: message`. */
    missingSettings(
        entry: DistroEntry,
        builders: Builders,
        distro: DistroConfig,
        kept: string[],
    ): string[];
    /** The file the catalogue entry names under distros/, checked when the catalogue loads. */
    referencedFile(entry: DistroEntry): { field: string; dir: string; name: string } | undefined;
    /** The command ImageBuild runs; throws naming a missing builder setting. */
    command(req: BuildRequest): BuildCommand;
    /** Where the bytes come from, for Glance's `image_source`. */
    imageSource(entry: DistroEntry, builders: Builders): string;
}

/** The entry's build, narrowed to the backend whose row is asking. */
function buildOf<B extends Backend>(entry: DistroEntry, backend: B): BuildOf<B> {
    if (entry.build.backend !== backend)
        throw new Error(`${entry.key}: built by ${entry.build.backend}, not ${backend}`);
    return entry.build as BuildOf<B>;
}

/** The builder settings of a backend, or an error naming them. */
function settings<K extends keyof Builders>(entry: DistroEntry, builders: Builders, key: K) {
    const s = builders[key];
    if (!s) throw new Error(`${entry.key}: builders.${key} is not configured`);
    return s as NonNullable<Builders[K]>;
}

const script = (name: string) => `bash ${path.posix.join(BUILD_SCRIPTS, name)}`;
const common = (r: BuildRequest) => ({ DISTRO: r.entry.key, ARCH: r.arch, RELEASE: r.release });

/** Every backend of the catalogue schema: the compiler refuses a missing or extra row. */
export const BUILD_BACKENDS: { readonly [B in Backend]: BackendSpec } = {
    koji: {
        missingSettings: (entry, builders) => {
            const koji = builders.koji;
            if (!koji) return [`builders.koji: required by ${entry.key} (Koji-built)`];
            return [
                ...(koji.targets[entry.key] ? [] : [`builders.koji.targets.${entry.key}: missing`]),
                ...(koji.installTrees[entry.key]
                    ? []
                    : [`builders.koji.installTrees.${entry.key}: missing`]),
            ];
        },
        referencedFile: (entry) => ({
            field: "kickstart",
            dir: "kickstarts",
            name: buildOf(entry, "koji").kickstart,
        }),
        command: (r) => {
            const build = buildOf(r.entry, "koji");
            const koji = settings(r.entry, r.builders, "koji");
            return {
                create: script("koji-image-build.sh"),
                environment: {
                    ...common(r),
                    KOJI_PROFILE: koji.profile,
                    KOJI_TARGET: koji.targets[r.entry.key] ?? "",
                    INSTALL_TREE: koji.installTrees[r.entry.key] ?? "",
                    KICKSTART: path.posix.join(DISTROS, "kickstarts", build.kickstart),
                    // Koji re-parses the kickstart: with the syntax it was validated against.
                    KS_VERSION: build.ksVersion,
                    SCRATCH: koji.scratch ? "1" : "0",
                    // Oz wants the RHEL-compatible release the image is based on.
                    KOJI_DISTRO: `RHEL-${r.entry.osVersion.split(".")[0]}.0`,
                },
            };
        },
        imageSource: (entry, builders) =>
            `koji ${builders.koji?.hub ?? ""} ${builders.koji?.targets[entry.key] ?? ""}`.trim(),
    },
    vendor: {
        missingSettings: (entry, builders, distro, kept) => [
            ...(builders.vendor
                ? []
                : [`builders.vendor: required by ${entry.key} (vendor image)`]),
            ...kept
                .filter((r) => !distro.vendorVersions?.[r])
                .map((r) => `distros.${entry.key}.vendorVersions.${r}: missing`),
        ],
        referencedFile: (entry) => ({
            field: "customize",
            dir: "customize",
            name: buildOf(entry, "vendor").customize,
        }),
        command: (r) => {
            const build = buildOf(r.entry, "vendor");
            const vendor = settings(r.entry, r.builders, "vendor");
            if (!r.vendorVersion)
                throw new Error(`${r.entry.key}: no vendor version for ${r.release}`);
            return {
                create: script("vendor-image.sh"),
                environment: {
                    ...common(r),
                    VENDOR_URL: vendor.url,
                    VENDOR_IMAGE: build.imageTemplate
                        .replace("{arch}", r.arch)
                        .replace("{version}", r.vendorVersion),
                    CUSTOMIZE: path.posix.join(DISTROS, "customize", build.customize),
                },
            };
        },
        imageSource: (_entry, builders) => builders.vendor?.url ?? "vendor",
    },
    local: {
        missingSettings: (entry, builders) =>
            builders.local ? [] : [`builders.local: required by ${entry.key} (local builder)`],
        referencedFile: () => undefined,
        command: (r) => ({
            create: script("local-debian.sh"),
            environment: {
                ...common(r),
                SUITE: buildOf(r.entry, "local").suite,
                WORK_DIR: settings(r.entry, r.builders, "local").workDir,
            },
        }),
        imageSource: (entry) => `debootstrap ${buildOf(entry, "local").suite}`,
    },
};

/** The row of an entry's backend. */
export function backendOf(entry: DistroEntry): BackendSpec {
    return BUILD_BACKENDS[entry.build.backend];
}
