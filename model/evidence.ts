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
    testedAt: "osimages_tested_at",
    failedTests: "osimages_failed_tests",
    knownFlaky: "osimages_known_flaky",
    suitesVersion: "osimages_suites_version",
    junitSha256: "osimages_junit_sha256",
    infraRetries: "osimages_infra_retries",
} as const;

/**
 * `pending`: tests started (or restarted) and have not all passed, which includes a failed last
 * run. `failed`: a run recorded its failure. `missing`: the image, or any evidence on it, does not
 * exist. `malformed`: the result property holds something else.
 */
export type EvidenceResult = "passed" | "pending" | "failed" | "missing" | "malformed";

export interface Evidence {
    /** Outcome recorded on the image. */
    result: EvidenceResult;
    /** Whether the image exists in Glance at all. */
    imageFound: boolean;
    /** sha256 of the artefact the image was uploaded from. */
    sha256?: string;
    /** sha256 of the artefact the tests ran on. */
    testedSha256?: string;
    /** Per use case runner summaries, e.g. `unmanaged-virtual: 42 passed, 0 failed (...)`. */
    summary?: string;
    /** Use cases that ran, comma-separated. */
    useCases?: string;
    /** When the evidence was written (UTC, ISO 8601). */
    testedAt?: string;
    /** The tests that failed, per use case (`managed-virtual: site/ntp`), when a failure was recorded. */
    failedTests?: string;
    /** Failures that known-flaky entries tolerated (`use case: suite/test (reason)`), or `none`. */
    knownFlaky?: string;
    /** Digest of the suites that ran. */
    suitesVersion?: string;
    /** sha256 of the run's JUnit reports (kept on the runner). */
    junitSha256?: string;
    /** Machines retried per use case after infrastructure failures. */
    infraRetries?: string;
    /** The result property as found, when it is not one of the known words. */
    rawResult?: string;
}

/** Reads the evidence out of an image's properties (undefined: no such image). */
export function evidenceFromProperties(props: Record<string, unknown> | undefined): Evidence {
    if (props === undefined) return { result: "missing", imageFound: false };
    const str = (k: string): string | undefined =>
        typeof props[k] === "string" ? (props[k] as string) : undefined;
    const raw = str(EVIDENCE_PROPERTIES.result);
    const result: EvidenceResult =
        raw === undefined || raw === ""
            ? "missing"
            : raw === "passed" || raw === "pending" || raw === "failed"
              ? raw
              : "malformed";
    return {
        result,
        imageFound: true,
        sha256: str("osimages_sha256"),
        testedSha256: str(EVIDENCE_PROPERTIES.testedSha256),
        summary: str(EVIDENCE_PROPERTIES.summary),
        useCases: str(EVIDENCE_PROPERTIES.useCases),
        testedAt: str(EVIDENCE_PROPERTIES.testedAt),
        failedTests: str(EVIDENCE_PROPERTIES.failedTests),
        knownFlaky: str(EVIDENCE_PROPERTIES.knownFlaky),
        suitesVersion: str(EVIDENCE_PROPERTIES.suitesVersion),
        junitSha256: str(EVIDENCE_PROPERTIES.junitSha256),
        infraRetries: str(EVIDENCE_PROPERTIES.infraRetries),
        ...(result === "malformed" ? { rawResult: raw } : {}),
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
    if (e.result === "malformed")
        return `its evidence is malformed: ${EVIDENCE_PROPERTIES.result}=${JSON.stringify(e.rawResult)} (expected passed, pending or failed)`;
    if (e.result === "pending")
        return `its tests have not passed (pending since ${e.testedAt ?? "an unknown time"}: still running, or failed in that update)`;
    if (e.result === "failed")
        return `its tests failed (${e.testedAt ?? "at an unknown time"}): ${e.failedTests ?? e.summary ?? "no details recorded"}`;
    if (e.testedSha256 === undefined)
        return `its evidence names no tested bytes (${EVIDENCE_PROPERTIES.testedSha256} is missing)`;
    if (!hasPassed(e))
        return "its evidence is for other bytes (the image was rebuilt after its tests)";
    return undefined;
}

/** The evidence properties a published image restates, exactly as the evidence step wrote them. */
export function restatedEvidence(e: Evidence): Record<string, string> {
    const restated: Record<string, string | undefined> = {
        [EVIDENCE_PROPERTIES.result]: e.result,
        [EVIDENCE_PROPERTIES.testedSha256]: e.testedSha256,
        [EVIDENCE_PROPERTIES.summary]: e.summary,
        [EVIDENCE_PROPERTIES.useCases]: e.useCases,
        [EVIDENCE_PROPERTIES.testedAt]: e.testedAt,
        [EVIDENCE_PROPERTIES.failedTests]: e.failedTests,
        [EVIDENCE_PROPERTIES.knownFlaky]: e.knownFlaky,
        [EVIDENCE_PROPERTIES.suitesVersion]: e.suitesVersion,
        [EVIDENCE_PROPERTIES.junitSha256]: e.junitSha256,
        [EVIDENCE_PROPERTIES.infraRetries]: e.infraRetries,
    };
    return Object.fromEntries(
        Object.entries(restated).filter((kv): kv is [string, string] => kv[1] !== undefined),
    );
}
