// The release plan: what exists after an update, computed once from the parsed stack config, the
// catalogue and (when it could be read) the evidence in Glance. The program registers exactly
// these records, the plan command prints them, the lab driver runs them.
import type { StackConfig } from "../config";
import { Catalogue } from "../distros/catalogue";
import { Arch, BootMode, DistroEntry, UseCase } from "../distros/schema";
import { Evidence, evidenceFromProperties, hasPassed, refusalReason } from "./evidence";
import {
    archesOf,
    bootModesOf,
    buildKey,
    imageName,
    planReleases,
    releaseSet,
    Stage,
    visibility,
} from "./lifecycle";
import { useCasesFor } from "./useCases";

/** One Glance image of a kept release: what the evidence gate looks up by build key. */
export interface ImageRef {
    distro: string;
    arch: Arch;
    bootMode: BootMode;
    release: string;
    /** Build key, stored on the image: `cs9-x86_64-bios-2026-11-01`. */
    key: string;
}

/** One image as this update leaves it. */
export interface ImageRecord extends ImageRef {
    stage: Stage;
    /** Glance name for the stage. */
    name: string;
    visibility: "public" | "shared";
    hidden: boolean;
    /** Use cases the image is tested on: those of the release in test, none otherwise. */
    useCases: UseCase[];
    /** What Glance holds for it; undefined while the evidence is unknown (no cloud read). */
    evidence?: Evidence;
    /** Why the evidence gate refuses to publish it (a production image without passed evidence). */
    refusal?: string;
}

/** One kept release of a distro on one arch. */
export interface ReleaseRecord {
    release: string;
    stage: Stage;
    /** Vendor version the release downloads (vendor backend only). */
    vendorVersion?: string;
    /** One image per firmware. */
    images: ImageRecord[];
    /** Whether this release gets a container image (test and production, first arch only). */
    container: boolean;
    /** Whether its container image gets the public tags (`registries.publishOn`), once tested. */
    publishContainer: boolean;
}

/** Everything about one distro on one arch. */
export interface PipelineRecord {
    /** `cs9-x86_64`: the logical name of its DistroPipeline. */
    name: string;
    distro: string;
    entry: DistroEntry;
    arch: Arch;
    /** Kept releases, oldest first. */
    releases: ReleaseRecord[];
    /** Releases beyond `keep`: their images are deleted. */
    retired: string[];
    /** Kept releases skipped because their vendor version is not new. */
    skipped: string[];
    /** The promotion pointer, if any. */
    production?: string;
}

export interface StackPlan {
    pipelines: PipelineRecord[];
    /** Promotions the evidence does not allow, one line each; empty when evidence is unknown. */
    refusals: string[];
    /** Whether the evidence of Glance was read (false: planned without a cloud). */
    evidenceKnown: boolean;
}

/**
 * Every image of every kept release, which the gate must know about before planning: the images
 * of the plan made without evidence (evidence changes stages, never which images exist).
 */
export function imagesToCheck(stack: StackConfig, catalogue: Catalogue): ImageRef[] {
    return planStack(stack, catalogue).pipelines.flatMap((p) =>
        p.releases.flatMap((r) =>
            r.images.map(({ distro, arch, bootMode, release, key }) => ({
                distro,
                arch,
                bootMode,
                release,
                key,
            })),
        ),
    );
}

/** How the refusals of one distro on one arch start (the merge-request note finds them by it). */
export function refusalSubject(distro: string, arch: Arch): string {
    return `cannot promote ${distro} ${arch}`;
}

/**
 * The plan of the whole stack. `evidence` is what Glance holds per build key (an absent key: no
 * such image); without it the plan assumes older releases passed and refuses nothing.
 */
export function planStack(
    stack: StackConfig,
    catalogue: Catalogue,
    evidence?: ReadonlyMap<string, Evidence>,
): StackPlan {
    const found = (key: string) => evidence?.get(key) ?? evidenceFromProperties(undefined);
    const pipelines: PipelineRecord[] = [];
    const refusals: string[] = [];
    for (const [distro, d] of Object.entries(stack.distros)) {
        const entry = catalogue.get(distro)!;
        const set = releaseSet(d);
        const arches = archesOf(d, entry);
        const useCases = useCasesFor(entry, stack);
        for (const arch of arches) {
            const modes = bootModesOf(entry, arch);
            const keyOf = (mode: BootMode, release: string) =>
                buildKey(distro, arch, mode, release);
            const passed = (release: string) =>
                evidence === undefined || modes.every((m) => hasPassed(found(keyOf(m, release))));
            const releases = planReleases({ ...d, releases: set.kept }, passed).map(
                ({ release, stage }): ReleaseRecord => ({
                    release,
                    stage,
                    vendorVersion: d.vendorVersions?.[release],
                    container:
                        entry.container !== "none" &&
                        arch === arches[0] &&
                        (stage === "test" || stage === "production"),
                    publishContainer: false,
                    images: modes.map((bootMode) => ({
                        distro,
                        arch,
                        bootMode,
                        release,
                        key: keyOf(bootMode, release),
                        stage,
                        name: imageName(entry, arch, bootMode, release, stage),
                        ...visibility(stage),
                        useCases: stage === "test" ? useCases : [],
                        evidence:
                            evidence === undefined ? undefined : found(keyOf(bootMode, release)),
                    })),
                }),
            );
            const withContainer = releases.filter((r) => r.container);
            const publisher =
                stack.registries.publishOn === "tested"
                    ? withContainer.at(-1)
                    : withContainer.find((r) => r.stage === "production");
            if (publisher) publisher.publishContainer = true;
            for (const image of releases.flatMap((r) => r.images)) {
                if (image.stage !== "production" || !image.evidence) continue;
                image.refusal = refusalReason(image.evidence);
                if (image.refusal)
                    refusals.push(
                        `${refusalSubject(distro, arch)} (${image.bootMode}) release ${image.release}: ${image.refusal}`,
                    );
            }
            pipelines.push({
                name: `${distro}-${arch}`,
                distro,
                entry,
                arch,
                releases,
                retired: set.retired,
                skipped: set.skipped,
                production: d.promote,
            });
        }
    }
    return { pipelines, refusals, evidenceKnown: evidence !== undefined };
}
