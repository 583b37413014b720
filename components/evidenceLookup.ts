import * as openstack from "@pulumi/openstack";
import { Evidence, evidenceFromProperties } from "../model/evidence";
import { ImageRef } from "../model/plan";

/** Fetches an image's properties by build key; undefined when no image carries that key. */
export type ImageLookup = (key: string) => Promise<Record<string, unknown> | undefined>;

/** Looks every image up (in parallel) and returns what Glance holds, by build key. */
export async function gatherEvidence(
    images: ImageRef[],
    lookup: ImageLookup,
): Promise<Map<string, Evidence>> {
    const found = await Promise.all(
        images.map(async (r) => [r.key, evidenceFromProperties(await lookup(r.key))] as const),
    );
    return new Map(found);
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
