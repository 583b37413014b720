// The closing summary of `npm run lab`: what the update built, uploaded, tested and published,
// and where to look. Reads `pulumi stack output --json` on stdin.
// Usage: lab-summary.ts EXIT_CODE SECONDS UP_LOG
import * as fs from "fs";

interface ImageOutput {
    release: string;
    bootMode: string;
    stage: string;
    name: string;
    imageId: string;
    tests: Record<string, string>;
}

interface PipelineOutput {
    production: string | null;
    retired: string[];
    images: ImageOutput[];
    containers: Record<string, string[]>;
}

/** The summary lines of a stack's `report` output. */
export function summaryLines(report: Record<string, PipelineOutput>): string[] {
    const lines: string[] = [];
    for (const [pipeline, p] of Object.entries(report)) {
        lines.push(`${pipeline}: production ${p.production ?? "none yet"}`);
        for (const i of p.images) {
            lines.push(
                `  ${i.release} ${i.bootMode.padEnd(4)} ${i.stage.padEnd(10)} ${i.name} (${i.imageId})`,
            );
            for (const [useCase, summary] of Object.entries(i.tests))
                lines.push(`      ${useCase}: ${summary}`);
        }
        for (const [release, refs] of Object.entries(p.containers)) {
            lines.push(`  container ${release}: ${refs.join(", ")}`);
        }
        if (p.retired.length > 0) lines.push(`  retired: ${p.retired.join(", ")}`);
    }
    return lines;
}

function main(code: number, seconds: number, upLog: string): void {
    const input = fs.readFileSync(0, "utf8").trim();
    const outputs = input ? (JSON.parse(input) as { report?: Record<string, PipelineOutput> }) : {};
    const verdict = code === 0 ? "pulumi up succeeded" : `pulumi up FAILED (exit ${code})`;
    const out = [`[lab] ${verdict} after ${seconds}s`, ...summaryLines(outputs.report ?? {})];
    out.push(
        "Where to look:",
        `  the update's log      ${upLog}`,
        "  test results          .lab/work/results/<image>/<use case>.{log,junit.xml}",
        "  the report            .lab/report/<stack>/index.html (summary.md for a merge request)",
        "  Glance                source .lab/env; openstack --os-cloud lab-prod image list --long",
        "  registries            curl http://127.0.0.1:5001/v2/_catalog (internal), :5002 (public)",
        "  services' logs        .lab/services/*/ (npm run lab -- status | down)",
    );
    console.log(out.join("\n"));
}

if (require.main === module) {
    main(Number(process.argv[2]), Number(process.argv[3]), process.argv[4]);
}
