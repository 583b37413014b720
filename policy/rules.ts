import { EVIDENCE_PROPERTIES } from "../model/evidence";
import { REQUIRED_PROPERTIES } from "../components/glanceImage";

/** The inputs of an openstack:images/image:Image the rules look at. */
export interface ImageInputs {
    name?: string;
    visibility?: string;
    hidden?: boolean;
    properties?: Record<string, string>;
}

/** Nothing public without passed evidence on the very bytes being published. */
export function publicWithoutEvidence(image: ImageInputs): string | undefined {
    if (image.visibility !== "public") return undefined;
    const p = image.properties ?? {};
    if (p[EVIDENCE_PROPERTIES.result] !== "passed") {
        return `image "${image.name}" is public without passed test evidence (${EVIDENCE_PROPERTIES.result}=${p[EVIDENCE_PROPERTIES.result] ?? "unset"})`;
    }
    if (!p.osimages_sha256 || p[EVIDENCE_PROPERTIES.testedSha256] !== p.osimages_sha256) {
        return `image "${image.name}" is public but its evidence is for other bytes than osimages_sha256`;
    }
    return undefined;
}

/** Every image carries the well-known and provenance properties. */
export function missingProperties(image: ImageInputs): string | undefined {
    const p = image.properties ?? {};
    const missing = REQUIRED_PROPERTIES.filter((k) => !p[k]);
    return missing.length > 0
        ? `image "${image.name}" lacks properties: ${missing.join(", ")}`
        : undefined;
}

/** A production (public, listed) image never says TEST. */
export function productionNamedTest(image: ImageInputs): string | undefined {
    const production = image.visibility === "public" && image.hidden !== true;
    return production && /\bTEST\b/.test(image.name ?? "")
        ? `production image "${image.name}" has TEST in its name`
        : undefined;
}
