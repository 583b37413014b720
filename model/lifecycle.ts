import type { DistroConfig } from "../config";
import { Arch, BootMode, DistroEntry } from "../distros/schema";

/** The releases that stay in Glance: the newest `keep` ones, oldest first. */
export function keptReleases(d: Pick<DistroConfig, "releases" | "keep">): string[] {
    return [...d.releases].sort(compareReleases).slice(-d.keep);
}

/** Orders build ids by date, then respin number. */
export function compareReleases(a: string, b: string): number {
    const [da, ra = "0"] = a.split(".");
    const [db, rb = "0"] = b.split(".");
    return da === db ? Number(ra) - Number(rb) : da < db ? -1 : 1;
}

/**
 * Where a release stands:
 * - test: newer than production (or nothing promoted yet): shared to the test project, tested;
 * - production: the promotion pointer: public, undated name;
 * - previous: an older release that passed its tests: public, dated name, hidden;
 * - stale: an older release that never passed: stays a hidden TEST image until it is retired.
 */
export type Stage = "test" | "production" | "previous" | "stale";

export interface ReleasePlan {
    release: string;
    stage: Stage;
}

/** Evidence question for the gate: did this release pass on every image of the distro/arch? */
export type PassedLookup = (release: string) => boolean;

/**
 * Assigns a stage to each kept release. Releases beyond `keep` are not planned at all, so Pulumi
 * deletes their images. `passed` is only asked for releases at or below the promotion pointer.
 */
export function planReleases(
    d: Pick<DistroConfig, "releases" | "keep" | "promote">,
    passed: PassedLookup,
): ReleasePlan[] {
    return keptReleases(d).map((release) => {
        if (d.promote === undefined || compareReleases(release, d.promote) > 0) {
            return { release, stage: "test" };
        }
        if (release === d.promote) return { release, stage: "production" };
        return { release, stage: passed(release) ? "previous" : "stale" };
    });
}

/** Releases dropped from Glance by this update because they fell beyond `keep`. */
export function retiredReleases(d: Pick<DistroConfig, "releases" | "keep">): string[] {
    const kept = new Set(keptReleases(d));
    return d.releases.filter((r) => !kept.has(r)).sort(compareReleases);
}

/** The firmware suffix is only needed where an arch is built for both firmwares. */
export function variantLabel(entry: DistroEntry, arch: Arch, bootMode: BootMode): string {
    return bootModesOf(entry, arch).length > 1 && bootMode === "uefi" ? `${arch} UEFI` : arch;
}

/** CERN-style Glance names: `CS9 - x86_64 [2026-11-01] TEST`, `CS9 - x86_64`, `CS9 - x86_64 [2026-10-01]`. */
export function imageName(
    entry: DistroEntry,
    arch: Arch,
    bootMode: BootMode,
    release: string,
    stage: Stage,
): string {
    const base = `${entry.shortName} - ${variantLabel(entry, arch, bootMode)}`;
    switch (stage) {
        case "production":
            return base;
        case "previous":
            return `${base} [${release}]`;
        case "test":
        case "stale":
            return `${base} [${release}] TEST`;
    }
}

/** Glance visibility and os_hidden per stage. */
export function visibility(stage: Stage): { visibility: "public" | "shared"; hidden: boolean } {
    switch (stage) {
        case "production":
            return { visibility: "public", hidden: false };
        case "previous":
            return { visibility: "public", hidden: true };
        case "test":
            return { visibility: "shared", hidden: false };
        case "stale":
            return { visibility: "shared", hidden: true };
    }
}

/** Stable logical name of everything about one image: `cs9-x86_64-bios-2026-11-01`. */
export function buildKey(distro: string, arch: Arch, bootMode: BootMode, release: string): string {
    return `${distro}-${arch}-${bootMode}-${release}`;
}

/**
 * Vendor releases with nothing new: a release whose vendor version equals the previous kept
 * release's is skipped (not built, not uploaded), since the newest vendor update is already there.
 */
export function vendorSkips(
    d: Pick<DistroConfig, "releases" | "keep" | "vendorVersions">,
): string[] {
    const versions = d.vendorVersions;
    if (!versions) return [];
    const kept = keptReleases(d);
    return kept.filter(
        (r, i) => i > 0 && versions[r] !== undefined && versions[r] === versions[kept[i - 1]],
    );
}

/** The releases of a distro this update deals with: kept ones to build, and the rest, explained. */
export interface ReleaseSet {
    /** The newest `keep` releases minus vendor skips, oldest first. */
    kept: string[];
    /** Kept releases skipped because their vendor version is not new. */
    skipped: string[];
    /** Releases beyond `keep`: their images are deleted. */
    retired: string[];
}

/** Applies `keep` once, then vendor skips: a skipped release never brings a retired one back. */
export function releaseSet(
    d: Pick<DistroConfig, "releases" | "keep" | "vendorVersions">,
): ReleaseSet {
    const skipped = vendorSkips(d);
    return {
        kept: keptReleases(d).filter((r) => !skipped.includes(r)),
        skipped,
        retired: retiredReleases(d),
    };
}

/** Firmwares an arch of the distro is built for (none when the catalogue has no such arch). */
export function bootModesOf(entry: DistroEntry, arch: Arch): BootMode[] {
    return entry.arches.find((a) => a.arch === arch)?.bootModes ?? [];
}

/** Arches a stack builds for a distro: its `arches`, or every arch of the catalogue entry. */
export function archesOf(d: Pick<DistroConfig, "arches">, entry: DistroEntry): Arch[] {
    return d.arches ?? entry.arches.map((a) => a.arch);
}
