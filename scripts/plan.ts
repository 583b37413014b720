// Prints what a stack would build, test and publish, from its stack file alone (no engine, no
// cloud): the release plan per distro and arch, the Glance names and the test use cases.
// Usage: npm run plan -- [stack]   (default: lab)
import * as path from "path";
import { archesOf, parseStackConfig, readStackFile, StackConfig, useCasesFor } from "../config";
import {
    bootModesOf,
    imageName,
    planReleases,
    releaseSet,
    visibility,
} from "../model/lifecycle";
import { Catalogue, loadCatalogue } from "../distros/catalogue";

/**
 * The plan as text lines. Published stages assume the evidence gate lets them through: the real
 * `pulumi preview` refuses when Glance holds no passed evidence.
 */
export function planLines(stack: StackConfig, catalogue: Catalogue): string[] {
    const lines: string[] = [];
    for (const [key, d] of Object.entries(stack.distros)) {
        const entry = catalogue.get(key)!;
        const releases = releaseSet(d);
        const kept = { ...d, releases: releases.kept };
        for (const arch of archesOf(d, entry)) {
            lines.push(`${key} ${arch} (${entry.build.backend} build)`);
            for (const { release, stage } of planReleases(kept, () => true)) {
                for (const mode of bootModesOf(entry, arch)) {
                    const v = visibility(stage);
                    const tests =
                        stage === "test" ? `tests: ${useCasesFor(entry, stack).join(", ")}` : "";
                    const shown = `${v.visibility}${v.hidden ? ", hidden" : ""}`;
                    lines.push(
                        `  ${release.padEnd(13)} ${stage.padEnd(10)} ${imageName(entry, arch, mode, release, stage).padEnd(40)} ${shown.padEnd(14)} ${tests}`.trimEnd(),
                    );
                }
            }
            for (const r of releases.retired)
                lines.push(`  ${r.padEnd(13)} retired    (deleted from Glance)`);
            for (const r of releases.skipped)
                lines.push(`  ${r.padEnd(13)} skipped    (no new vendor version)`);
        }
    }
    return lines;
}

if (require.main === module) {
    const stackName = process.argv[2] ?? "lab";
    try {
        const catalogue = loadCatalogue();
        const { file, raw } = readStackFile(path.join(__dirname, ".."), stackName);
        const stack = parseStackConfig(raw, file, catalogue);
        console.log(
            `stack ${stackName} (${file}): ${Object.keys(stack.distros).length} distro(s), testing on ${stack.testing.backend}`,
        );
        for (const line of planLines(stack, catalogue)) console.log(line);
    } catch (e) {
        console.error((e as Error).message);
        process.exit(1);
    }
}
