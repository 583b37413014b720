import * as openstack from "@pulumi/openstack";
import { DistroConfig } from "../config";
import { keptReleases } from "../model/lifecycle";
import { Arch, BootMode, DistroEntry } from "../distros/schema";
import { Evidence, evidenceFromProperties, hasPassed, refusalReason } from "../model/evidence";
import { bootModesOf, buildKey } from "../model/lifecycle";

/** Fetches an image's properties by build key; undefined when no image carries that key. */
export type ImageLookup = (key: string) => Promise<Record<string, unknown> | undefined>;

/** One image whose evidence must be known before the program registers anything. */
export interface EvidenceRequest {
    distro: string;
    arch: Arch;
    bootMode: BootMode;
    release: string;
    key: string;
}

/**
 * Every image of every kept release: the gate needs the published ones, and every image restates
 * its own evidence (written outside Pulumi), so that an update of the image does not drop it.
 */
export function evidenceRequests(
    distro: string,
    entry: DistroEntry,
    d: DistroConfig,
    arches: Arch[],
): EvidenceRequest[] {
    const releases = keptReleases(d);
    return arches.flatMap((arch) =>
        bootModesOf(entry, arch).flatMap((bootMode) =>
            releases.map((release) => ({
                distro,
                arch,
                bootMode,
                release,
                key: buildKey(distro, arch, bootMode, release),
            })),
        ),
    );
}

/** Looks every request up (in parallel) and returns evidence by build key. */
export async function gatherEvidence(
    requests: EvidenceRequest[],
    lookup: ImageLookup,
): Promise<Map<string, Evidence>> {
    const found = await Promise.all(
        requests.map(async (r) => [r.key, evidenceFromProperties(await lookup(r.key))] as const),
    );
    return new Map(found);
}

/** Every promotion the evidence does not allow, one line each, naming distro, arch, firmware, release. */
export function promotionRefusals(
    requests: EvidenceRequest[],
    evidence: Map<string, Evidence>,
    promoted: (distro: string) => string | undefined,
): string[] {
    return requests
        .filter((r) => promoted(r.distro) === r.release)
        .flatMap((r) => {
            const reason = refusalReason(evidence.get(r.key) ?? evidenceFromProperties(undefined));
            return reason
                ? [
                      `cannot promote ${r.distro} ${r.arch} (${r.bootMode}) release ${r.release}: ${reason}`,
                  ]
                : [];
        });
}

/** A release passed when every firmware image of it passed. */
export function releasePassed(
    requests: EvidenceRequest[],
    evidence: Map<string, Evidence>,
    arch: Arch,
    release: string,
): boolean {
    const images = requests.filter((r) => r.arch === arch && r.release === release);
    return (
        images.length > 0 &&
        images.every((r) => {
            const e = evidence.get(r.key);
            return e !== undefined && hasPassed(e);
        })
    );
}

/**
 * Glance lookup through the OpenStack provider's getImage invoke (it runs in preview too). Listed
 * and hidden images are asked for separately: Glance leaves `os_hidden` images out of listings
 * unless asked, and previous releases are hidden. "No results" means no such image; any other
 * error (credentials, endpoint) stops the update.
 */
export function glanceLookup(provider: openstack.Provider): ImageLookup {
    return async (key) => {
        const properties = { osimages_build_key: key };
        for (const hidden of [false, true]) {
            try {
                const image = await openstack.images.getImage(
                    { properties, hidden, mostRecent: true },
                    { provider },
                );
                const props = image.properties as Record<string, unknown> | undefined;
                // The data source may skip its property filter when Glance returns a single image.
                if (props?.osimages_build_key === key) return props;
            } catch (e) {
                if (!/no results/i.test(String(e))) throw e;
            }
        }
        return undefined;
    };
}
