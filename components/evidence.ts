/**
 * Test evidence lives on the Glance image itself, as properties written by the `up` that tested
 * it. A later `up` reads them back before it changes anything, which breaks the cycle "the test
 * boots the image, so the image's visibility cannot depend on the test in the same update".
 */
export const EVIDENCE_PROPERTIES = {
    result: "osimages_test_result",
    testedSha256: "osimages_tested_sha256",
    summary: "osimages_test_summary",
    useCases: "osimages_tested_use_cases",
} as const;

export type EvidenceResult = "passed" | "failed" | "missing";

export interface Evidence {
    /** Outcome recorded on the image; `missing` when the image or the property does not exist. */
    result: EvidenceResult;
    /** Whether the image exists in Glance at all. */
    imageFound: boolean;
    /** sha256 of the artefact the image was uploaded from. */
    sha256?: string;
    /** sha256 of the artefact the tests ran on. */
    testedSha256?: string;
    /** Runner summary line, e.g. `42 passed, 0 failed (0 image, 0 infra), 3 skipped`. */
    summary?: string;
    /** Use cases that ran. */
    useCases?: string;
}

/** Reads the evidence out of an image's properties (undefined: no such image). */
export function evidenceFromProperties(props: Record<string, unknown> | undefined): Evidence {
    if (props === undefined) return { result: "missing", imageFound: false };
    const str = (k: string): string | undefined =>
        typeof props[k] === "string" ? (props[k] as string) : undefined;
    const raw = str(EVIDENCE_PROPERTIES.result);
    const result: EvidenceResult = raw === "passed" || raw === "failed" ? raw : "missing";
    return {
        result,
        imageFound: true,
        sha256: str("osimages_sha256"),
        testedSha256: str(EVIDENCE_PROPERTIES.testedSha256),
        summary: str(EVIDENCE_PROPERTIES.summary),
        useCases: str(EVIDENCE_PROPERTIES.useCases),
    };
}

/** Passed, and on the very bytes that are in Glance now (a rebuilt image needs a new test). */
export function hasPassed(e: Evidence): boolean {
    return e.result === "passed" && e.sha256 !== undefined && e.testedSha256 === e.sha256;
}

/** Why an image cannot be published, in words a reviewer understands; undefined when it can. */
export function refusalReason(e: Evidence): string | undefined {
    if (!e.imageFound)
        return "it was never built and uploaded (no Glance image carries its build key)";
    if (e.result === "missing")
        return "it has no test evidence yet (run the `up` that tests it first)";
    if (e.result === "failed") return `its tests failed (${e.summary ?? "no summary recorded"})`;
    if (!hasPassed(e))
        return "its evidence is for other bytes (the image was rebuilt after its tests)";
    return undefined;
}

/** The properties the evidence step writes on a tested image. */
export function evidenceProperties(e: {
    sha256: string;
    summary: string;
    useCases: string[];
}): Record<string, string> {
    return {
        [EVIDENCE_PROPERTIES.result]: "passed",
        [EVIDENCE_PROPERTIES.testedSha256]: e.sha256,
        [EVIDENCE_PROPERTIES.summary]: e.summary,
        [EVIDENCE_PROPERTIES.useCases]: e.useCases.join(","),
    };
}
