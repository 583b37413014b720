// The package difference between the release in production and the candidate, for the merge
// request's note: the manifests the builds wrote beside their artefacts, found on the runner.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    diffManifests,
    ListedPackage,
    Manifest,
    manifestDigest,
    ManifestDiff,
    PackageChange,
    parseManifest,
} from "../model/packages";

/** Suffix of a manifest file: `<artefact without .qcow2>.packages` (lib.sh, report_artefact). */
export const MANIFEST_SUFFIX = ".packages";

/** One build of a distro on an arch, as the note knows it (from the plan and Glance). */
export interface BuildRecord {
    distro: string;
    arch: string;
    release: string;
    /** The artefact's sha256 (Glance's `osimages_sha256`): picks that very build's manifest. */
    sha256?: string;
    /** Glance's `osimages_manifest_sha256`: the manifest found must have this digest. */
    manifestSha256?: string;
}

/**
 * Where builds write, as the scripts decide: the local builder under the stack's work dir
 * (`builders.local.workDir`), Koji and vendor builds under OUTPUT_DIR or the runner's cache.
 */
export function buildRoots(workDir: string, env: NodeJS.ProcessEnv = process.env): string[] {
    const cache = env.OSIP_CACHE ?? path.join(os.homedir(), ".cache", "os-image-pipeline");
    return [workDir, env.OUTPUT_DIR ?? path.join(cache, "builds")];
}

/** What was found, or why not, in words for the note. */
export type Found<T> = { ok: true; value: T } | { ok: false; reason: string };

/** The manifest file of a build: the one named after its artefact's sha256, else the only one. */
export function findManifest(
    workDir: string,
    build: BuildRecord,
    env: NodeJS.ProcessEnv = process.env,
): Found<string> {
    const name = build.sha256 ? `-${build.sha256.slice(0, 12)}${MANIFEST_SUFFIX}` : MANIFEST_SUFFIX;
    const looked: string[] = [];
    for (const root of buildRoots(workDir, env)) {
        const dir = path.join(root, build.distro, build.arch, build.release);
        looked.push(path.join(dir, `*${name}`));
        const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(name)) : [];
        if (files.length === 1) {
            return { ok: true, value: path.join(dir, files[0]) };
        }
        if (files.length > 1)
            return { ok: false, reason: `several manifests in ${dir}: ${files.join(", ")}` };
    }
    return { ok: false, reason: `manifest not found: ${looked.join(" or ")}` };
}

/** A build's manifest, parsed and checked against the digest Glance holds for it. */
export function loadManifest(
    workDir: string,
    build: BuildRecord,
    env: NodeJS.ProcessEnv = process.env,
): Found<{ manifest: Manifest; path: string }> {
    const found = findManifest(workDir, build, env);
    if (!found.ok) return found;
    const file = found.value;
    let manifest: Manifest;
    try {
        manifest = parseManifest(fs.readFileSync(file, "utf8"), file);
    } catch (e) {
        return { ok: false, reason: (e as Error).message };
    }
    const digest = manifestDigest(manifest);
    if (build.manifestSha256 && build.manifestSha256 !== digest)
        return {
            ok: false,
            reason: `manifest ${file} has digest ${digest}, but the image says ${build.manifestSha256}`,
        };
    return { ok: true, value: { manifest, path: file } };
}

/** The packages that differ from the production's build to the candidate's, or why not known. */
export function packageDiffOf(
    workDir: string,
    production: BuildRecord,
    candidate: BuildRecord,
    env: NodeJS.ProcessEnv = process.env,
): Found<ManifestDiff> {
    const before = loadManifest(workDir, production, env);
    if (!before.ok) return before;
    const after = loadManifest(workDir, candidate, env);
    if (!after.ok) return after;
    try {
        return { ok: true, value: diffManifests(before.value.manifest, after.value.manifest) };
    } catch (e) {
        return { ok: false, reason: (e as Error).message };
    }
}

/** Table cells must not break the table. */
const cell = (s: string) => s.replace(/\|/g, "\\|");
const versions = (vs: string[]) => cell(vs.join(", "));

/** Rows of the table, in the diff's order within each kind: kernel packages first. */
function rows(diff: ManifestDiff): { kernel: boolean; row: string }[] {
    const listed = (kind: string) => (p: ListedPackage) => ({
        kernel: p.kernel,
        row: `| ${kind} | ${cell(p.name)} | ${cell(p.arch)} | ${kind === "added" ? "" : cell(p.version)} | ${kind === "added" ? cell(p.version) : ""} |`,
    });
    const changed = (kind: string) => (c: PackageChange) => ({
        kernel: c.kernel,
        row: `| ${kind} | ${cell(c.name)} | ${cell(c.arch)} | ${versions(c.from)} | ${versions(c.to)} |`,
    });
    const all = [
        ...diff.upgraded.map(changed("upgraded")),
        ...diff.downgraded.map(changed("downgraded")),
        ...diff.added.map(listed("added")),
        ...diff.removed.map(listed("removed")),
    ];
    // Stable: kernel rows of every kind first, each kind's order kept.
    return [...all.filter((r) => r.kernel), ...all.filter((r) => !r.kernel)];
}

/** Compact Markdown: the kernel change, the counts, then a table of at most `maxRows` rows. */
export function renderPackageDiff(diff: ManifestDiff, maxRows = 200): string {
    const counts = [
        `${diff.upgraded.length} upgraded`,
        `${diff.downgraded.length} downgraded`,
        `${diff.added.length} added`,
        `${diff.removed.length} removed`,
    ].join(", ");
    const all = rows(diff);
    if (all.length === 0) return `**Packages** (${diff.format}): no change`;
    const kernels = [...diff.upgraded, ...diff.downgraded].filter((c) => c.kernel);
    const lines = [`**Packages** (${diff.format}): ${counts}`, ""];
    for (const k of kernels)
        lines.push(`Kernel: \`${k.name}\` ${versions(k.from)} → ${versions(k.to)}`, "");
    lines.push("| Change | Package | Arch | Production | Candidate |", "|---|---|---|---|---|");
    lines.push(...all.slice(0, maxRows).map((r) => r.row));
    if (all.length > maxRows) lines.push("", `and ${all.length - maxRows} more`);
    return lines.join("\n");
}
