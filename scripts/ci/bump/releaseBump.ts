// The monthly bump of one stack file: the month's release id added to each distro's `releases`,
// the list trimmed to what `keep` keeps, `promote` never touched. It edits the YAML document in
// place (comments, quoting and layout stay) and judges the result as `npm run plan` does.
import { isMap, isScalar, isSeq, parseDocument, Scalar, YAMLMap } from "yaml";
import { parseStackConfig, parseStackText, PROJECT, StackConfig } from "../../../config";
import { Catalogue } from "../../../distros/catalogue";
import { compareReleases, keptReleases } from "../../../model/lifecycle";

/** What the bump did to one distro; `unchanged` says why nothing was done. */
export interface DistroBump {
    distro: string;
    added?: string;
    /** Releases dropped from the list: beyond `keep` once the new one is in (Pulumi deletes them). */
    removed: string[];
    unchanged?: string;
}

export interface StackBump {
    /** The new text; the input itself when no distro changed. */
    text: string;
    changed: boolean;
    distros: DistroBump[];
}

/** The release id of a month: its first day (`2026-12` -> `2026-12-01`). */
export function monthRelease(month: string): string {
    if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) {
        throw new Error(`not a month like 2026-12: ${JSON.stringify(month)}`);
    }
    return `${month}-01`;
}

/** The current month in UTC, YYYY-MM. */
export function currentMonth(now = new Date()): string {
    return now.toISOString().slice(0, 7);
}

/** Validates a stack file's text as the program and the plan do (kickstarts aside: unchanged). */
export function validateStackText(file: string, text: string, catalogue: Catalogue): StackConfig {
    const input = (() => {
        try {
            return parseStackText(file, text);
        } catch (e) {
            throw new Error(`${file}: not valid YAML: ${(e as Error).message}`);
        }
    })();
    return parseStackConfig(input.raw, file, catalogue, input.keys);
}

/** The decision for one distro, from its validated settings. */
export function planDistroBump(
    distro: string,
    d: Pick<StackConfig["distros"][string], "releases" | "keep" | "promote">,
    release: string,
): DistroBump {
    const newest = [...d.releases].sort(compareReleases).at(-1) ?? "";
    if (newest.slice(0, 10) >= release) {
        return { distro, removed: [], unchanged: `already has ${newest}` };
    }
    const releases = [...d.releases, release];
    const kept = keptReleases({ releases, keep: d.keep });
    if (d.promote !== undefined && !kept.includes(d.promote)) {
        return {
            distro,
            removed: [],
            unchanged:
                `adding ${release} would retire the production release ${d.promote} ` +
                `(keep: ${d.keep}): promote a newer release or raise keep first`,
        };
    }
    return { distro, added: release, removed: d.releases.filter((r) => !kept.includes(r)) };
}

const DISTROS_KEY = `${PROJECT}:distros`;

/**
 * Bumps every distro of one stack file to `release`. The file is validated before and after; a
 * problem throws one error naming the file and the field, and nothing is returned to write.
 */
export function bumpStack(
    file: string,
    text: string,
    release: string,
    catalogue: Catalogue,
): StackBump {
    const config = validateStackText(file, text, catalogue);
    const doc = parseDocument(text);
    const distrosNode = doc.getIn(["config", DISTROS_KEY], true);
    const distros = Object.entries(config.distros).map(([key, d]) =>
        planDistroBump(key, d, release),
    );
    if (!distros.some((b) => b.added)) return { text, changed: false, distros };
    if (!isMap(distrosNode)) throw new Error(`${file}: distros: not a mapping`);
    for (const bump of distros) {
        if (!bump.added) continue;
        const node = distrosNode.get(bump.distro, true);
        if (!isMap(node)) throw new Error(`${file}: distros.${bump.distro}: not a mapping`);
        editReleases(file, node, bump);
        editVendorVersions(node, bump, config.distros[bump.distro].releases);
    }
    const out = doc.toString({ indent: 4, lineWidth: 0, flowCollectionPadding: false });
    validateStackText(file, out, catalogue);
    return { text: out, changed: true, distros };
}

/** A release id as the stack files write them: double-quoted (unquoted, YAML reads a date). */
function quoted(value: string): Scalar {
    const node = new Scalar(value);
    node.type = Scalar.QUOTE_DOUBLE;
    return node;
}

function editReleases(file: string, node: YAMLMap, bump: DistroBump): void {
    const releases = node.get("releases", true);
    if (!isSeq(releases)) throw new Error(`${file}: distros.${bump.distro}.releases: not a list`);
    releases.items = releases.items.filter(
        (item) => !(isScalar(item) && bump.removed.includes(String(item.value))),
    );
    releases.items.push(quoted(bump.added ?? ""));
}

/**
 * Vendor distros name the vendor version of each release: the new one takes the newest previous
 * version, so it is skipped (nothing new) until the merge request names a newer one.
 */
function editVendorVersions(node: YAMLMap, bump: DistroBump, before: string[]): void {
    const versions = node.get("vendorVersions", true);
    if (!isMap(versions)) return;
    const previous = [...before].sort(compareReleases).at(-1);
    const version = previous === undefined ? undefined : versions.get(previous);
    for (const r of bump.removed) versions.delete(r);
    if (version === undefined) return;
    const value = quoted(String(version));
    value.comment = " same as the release before: set the new vendor version, if any";
    versions.set(quoted(bump.added ?? ""), value);
}
