// Package manifests of built images: what the build scripts write beside the artefact
// (scripts/program/build/lib.sh, write_manifest), their digest, and the difference between two.
//
// A manifest file is a header line naming its format, then one `name version arch` line per
// installed package, sorted bytewise without duplicates. Versions are kept exactly as the package
// manager prints them: dpkg's `[epoch:]upstream[-revision]` (dpkg omits a zero epoch, and a missing
// epoch means 0), rpm's `epoch:version-release` with the epoch always written (%{EPOCHNUM}). The
// lines are those of (lib.sh: dpkg_manifest, rpm_manifest), for installed packages:
//   dpkg-query -W -f='${Package} ${Version} ${Architecture}\n'
//   rpm -qa --qf '%{NAME} %{EPOCHNUM}:%{VERSION}-%{RELEASE} %{ARCH}\n'

import * as crypto from "crypto";
import { compareDebianVersions, compareRpmVersions, Ordering } from "./versionCompare";

export type ManifestFormat = "dpkg" | "rpm";

/** What a line of each format looks like, how its versions compare, which are its kernels. */
interface FormatSpec {
    /** What a line says, for error messages. */
    line: string;
    name: RegExp;
    version: RegExp;
    compare(a: string, b: string): Ordering;
    /** Kernel packages, listed first in a diff (shell-style patterns). */
    kernels: string[];
}

export const MANIFEST_FORMATS: { readonly [F in ManifestFormat]: FormatSpec } = {
    dpkg: {
        line: "package [epoch:]upstream[-revision] architecture",
        name: /^[a-z0-9][a-z0-9+.-]+$/,
        // Policy wants a digit first; dpkg only warns, so older packages may not have one.
        version: /^(?:\d+:)?[A-Za-z0-9][A-Za-z0-9.+~:-]*$/,
        compare: compareDebianVersions,
        kernels: ["linux-image-*", "linux-modules-*", "linux-headers-*", "linux-kbuild-*"],
    },
    rpm: {
        line: "name epoch:version-release arch",
        name: /^\S+$/,
        version: /^\d+:[^\s:-]+-[^\s:-]+$/,
        compare: compareRpmVersions,
        kernels: [
            "kernel",
            "kernel-core",
            "kernel-modules*",
            "kernel-uek*",
            "kernel-rt*",
            "kernel-64k*",
        ],
    },
};

/** The first line of a manifest file: `# osimages package manifest: dpkg`. */
/**
 * The Glance property with the sha256 of an image's manifest. Not required: builds made before
 * manifests existed, and frozen releases that never rebuild, have none.
 */
export const MANIFEST_PROPERTY = "osimages_manifest_sha256";

export const MANIFEST_HEADER = "# osimages package manifest: ";

export interface PackageEntry {
    name: string;
    /** As the package manager prints it (see the top of this file). */
    version: string;
    /** `amd64`, `all`, `x86_64`, `noarch`; rpm's gpg-pubkey has `(none)`. */
    arch: string;
}

export interface Manifest {
    format: ManifestFormat;
    entries: PackageEntry[];
}

const isFormat = (f: string): f is ManifestFormat => Object.hasOwn(MANIFEST_FORMATS, f);

/**
 * Parses a manifest file, or the bare output of the format's query when `format` is given.
 * Throws `<source>:<line>: ...` on a malformed line. Blank lines are ignored.
 */
export function parseManifest(text: string, source: string, format?: ManifestFormat): Manifest {
    const lines = text.split("\n");
    let first = 0;
    if (format === undefined) {
        const header = lines[0] ?? "";
        const named = header.startsWith(MANIFEST_HEADER)
            ? header.slice(MANIFEST_HEADER.length)
            : "";
        if (!isFormat(named))
            throw new Error(
                `${source}:1: not a package manifest: expected "${MANIFEST_HEADER}dpkg" or "...rpm", found "${header}"`,
            );
        format = named;
        first = 1;
    }
    const spec = MANIFEST_FORMATS[format];
    const entries: PackageEntry[] = [];
    for (let i = first; i < lines.length; i++) {
        const line = lines[i];
        if (line.trim() === "") continue;
        const fields = line.split(" ");
        const [name, version, arch] = fields;
        if (
            fields.length !== 3 ||
            !spec.name.test(name) ||
            !spec.version.test(version) ||
            !/^\S+$/.test(arch)
        )
            throw new Error(
                `${source}:${i + 1}: malformed ${format} manifest line "${line}": expected "${spec.line}"`,
            );
        entries.push({ name, version, arch });
    }
    return { format, entries };
}

/** Bytewise, as `LC_ALL=C sort` orders the lines the build scripts write. */
const bytewise = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** The normalised text of a manifest: header, then its lines sorted bytewise without duplicates. */
export function formatManifest(m: Manifest): string {
    const lines = [...new Set(m.entries.map((e) => `${e.name} ${e.version} ${e.arch}`))];
    return [`${MANIFEST_HEADER}${m.format}`, ...lines.sort(bytewise)].map((l) => `${l}\n`).join("");
}

/** sha256 of the normalised manifest: the same package set gives the same digest in any order. */
export function manifestDigest(m: Manifest): string {
    return crypto.createHash("sha256").update(formatManifest(m)).digest("hex");
}

/** A package present in both manifests at other versions (several when several are installed). */
export interface PackageChange {
    name: string;
    arch: string;
    /** The production's versions that the candidate does not have, newest last. */
    from: string[];
    /** The candidate's versions that the production does not have, newest last. */
    to: string[];
    kernel: boolean;
}

export interface ListedPackage extends PackageEntry {
    kernel: boolean;
}

/** Candidate against production; each list kernel packages first, then by name, arch, version. */
export interface ManifestDiff {
    format: ManifestFormat;
    added: ListedPackage[];
    removed: ListedPackage[];
    upgraded: PackageChange[];
    downgraded: PackageChange[];
}

const globToRegExp = (glob: string) =>
    new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`);

/** Whether a package is one of the format's kernel packages. */
export function isKernelPackage(format: ManifestFormat, name: string): boolean {
    return MANIFEST_FORMATS[format].kernels.some((k) => globToRegExp(k).test(name));
}

/** Versions of each name+arch (rpm installs several kernels; multilib has one name on two arches). */
function versionsByPackage(m: Manifest): Map<string, Set<string>> {
    const byKey = new Map<string, Set<string>>();
    for (const e of m.entries) {
        const key = `${e.name} ${e.arch}`;
        byKey.set(key, (byKey.get(key) ?? new Set()).add(e.version));
    }
    return byKey;
}

/** The difference from the production's manifest to the candidate's. Throws on mixed formats. */
export function diffManifests(production: Manifest, candidate: Manifest): ManifestDiff {
    if (production.format !== candidate.format)
        throw new Error(
            `cannot compare a ${production.format} manifest (production) with a ${candidate.format} one (candidate)`,
        );
    const format = candidate.format;
    const compare = MANIFEST_FORMATS[format].compare;
    const before = versionsByPackage(production);
    const after = versionsByPackage(candidate);
    const diff: ManifestDiff = { format, added: [], removed: [], upgraded: [], downgraded: [] };
    for (const key of new Set([...before.keys(), ...after.keys()])) {
        const [name, arch] = key.split(" ");
        const kernel = isKernelPackage(format, name);
        const old = before.get(key) ?? new Set<string>();
        const now = after.get(key) ?? new Set<string>();
        const from = [...old].filter((v) => !now.has(v)).sort(compare);
        const to = [...now].filter((v) => !old.has(v)).sort(compare);
        if (from.length > 0 && to.length > 0) {
            const older = compare(to[to.length - 1], from[from.length - 1]) < 0;
            (older ? diff.downgraded : diff.upgraded).push({ name, arch, from, to, kernel });
        } else {
            for (const version of from) diff.removed.push({ name, version, arch, kernel });
            for (const version of to) diff.added.push({ name, version, arch, kernel });
        }
    }
    const order = (a: ListedPackage | PackageChange, b: ListedPackage | PackageChange) =>
        Number(b.kernel) - Number(a.kernel) || bytewise(a.name, b.name) || bytewise(a.arch, b.arch);
    const listed = (a: ListedPackage, b: ListedPackage) =>
        order(a, b) || compare(a.version, b.version);
    diff.added.sort(listed);
    diff.removed.sort(listed);
    diff.upgraded.sort(order);
    diff.downgraded.sort(order);
    return diff;
}
