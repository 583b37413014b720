// Test helpers around the program under mocks (scripts/dev/mockProgram.ts).
import * as pulumi from "@pulumi/pulumi";
import { readStackFile } from "../../config";
import { fakeSha, Recorded, ROOT } from "../../scripts/dev/mockProgram";

export * from "../../scripts/dev/mockProgram";

/** A stack file's config, as `pulumi` would hand it to the program. */
export function stackConfig(stack: string): Record<string, unknown> {
    return readStackFile(ROOT, stack).raw;
}

/** Resolves an Output (or plain value) to its value. */
export function unwrap<T>(value: pulumi.Input<T>): Promise<T> {
    return new Promise((resolve) => pulumi.output(value).apply((v) => resolve(v as T)));
}

export function byType(resources: Recorded[], type: string): Recorded[] {
    return resources.filter((r) => r.type === type);
}

export function byName(resources: Recorded[], name: string): Recorded {
    const found = resources.find((r) => r.name === name);
    if (!found)
        throw new Error(
            `no resource named ${name}; have: ${resources.map((r) => r.name).join(", ")}`,
        );
    return found;
}

/** Glance properties of a tested image that passed, as the evidence step writes them. */
export function passedImage(
    distro: string,
    arch: string,
    bootMode: string,
    release: string,
): Record<string, string> {
    const sha = fakeSha(`${distro}-${arch}-${release}-build`);
    return {
        osimages_build_key: `${distro}-${arch}-${bootMode}-${release}`,
        osimages_sha256: sha,
        osimages_test_result: "passed",
        osimages_tested_sha256: sha,
        osimages_test_summary: "9 passed, 0 failed (0 image, 0 infra), 1 skipped",
        osimages_tested_use_cases: "unmanaged-virtual,managed-virtual",
        osimages_tested_at: "2026-10-03T08:00:00Z",
    };
}
