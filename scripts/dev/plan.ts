// Prints what `pulumi preview` of a stack would do, from the same planner the program runs
// (model/plan.ts): per distro and arch, each kept release's stage, Glance name, visibility and
// tests, the retired and skipped releases, and the promotions the evidence gate refuses. It reads
// the evidence from Glance with the openstack CLI when the stack's cloud is configured here, and
// says "evidence unknown: no cloud" when it is not.
// Usage: npm run plan -- [stack]   (default: lab). Exit 1 on bad config or a refused promotion.
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { CloudConfig, loadStack, readStackFile, StackConfig } from "../../config";
import { gatherEvidence, ImageLookup } from "../../components/evidenceLookup";
import { Catalogue } from "../../distros/catalogue";
import { Evidence } from "../../model/evidence";
import { imagesToCheck, planStack, StackPlan } from "../../model/plan";

const run = promisify(execFile);

/** The plan as text lines (refusals last). */
export function planLines(plan: StackPlan): string[] {
    const lines: string[] = [];
    // The name column fits the longest name, so that columns never run together.
    const width = Math.max(
        40,
        ...plan.pipelines.flatMap((p) =>
            p.releases.flatMap((r) => r.images.map((i) => i.name.length + 1)),
        ),
    );
    for (const p of plan.pipelines) {
        lines.push(`${p.distro} ${p.arch} (${p.entry.build.backend} build)`);
        for (const r of p.releases) {
            for (const image of r.images) {
                const tests =
                    image.useCases.length > 0 ? `tests: ${image.useCases.join(", ")}` : "";
                const shown = `${image.visibility}${image.hidden ? ", hidden" : ""}`;
                lines.push(
                    `  ${r.release.padEnd(13)} ${r.stage.padEnd(10)} ${image.name.padEnd(width)} ${shown.padEnd(14)} ${tests}`.trimEnd(),
                );
            }
        }
        for (const r of p.retired) lines.push(`  ${r.padEnd(13)} retired    (deleted from Glance)`);
        for (const r of p.skipped)
            lines.push(`  ${r.padEnd(13)} skipped    (no new vendor version)`);
    }
    if (plan.refusals.length > 0) {
        lines.push(`promotion refused by the evidence gate:`, ...plan.refusals);
    }
    return lines;
}

/**
 * Glance lookup through the openstack CLI, as the program's lookup through the provider: listed
 * images first, then hidden ones (previous releases are hidden).
 */
export function cliLookup(cloud: CloudConfig): ImageLookup {
    const cli = async (...args: string[]) => {
        const base = ["--os-cloud", cloud.cloud, "--os-project-name", cloud.project];
        const region = cloud.region ? ["--os-region-name", cloud.region] : [];
        const { stdout } = await run("openstack", [...base, ...region, ...args, "-f", "json"]);
        return JSON.parse(stdout) as unknown;
    };
    return async (key) => {
        for (const hidden of [[], ["--hidden"]]) {
            const listed = (await cli(
                "image",
                "list",
                ...hidden,
                "--property",
                `osimages_build_key=${key}`,
            )) as { ID: string }[];
            if (listed.length === 0) continue;
            const shown = (await cli("image", "show", listed[0].ID)) as {
                properties?: Record<string, unknown>;
            };
            return shown.properties ?? {};
        }
        return undefined;
    };
}

/** Whether the openstack CLI is here with a clouds.yaml where it looks for one. */
export function cloudConfigured(): boolean {
    const candidates = [
        process.env.OS_CLIENT_CONFIG_FILE,
        "clouds.yaml",
        path.join(os.homedir(), ".config", "openstack", "clouds.yaml"),
        "/etc/openstack/clouds.yaml",
    ];
    const onPath = (process.env.PATH ?? "")
        .split(":")
        .some((dir) => dir && fs.existsSync(path.join(dir, "openstack")));
    return onPath && candidates.some((f) => f !== undefined && fs.existsSync(f));
}

/** The evidence in Glance, or why it is unknown. */
export async function readEvidence(
    stack: StackConfig,
    catalogue: Catalogue,
    lookup: ImageLookup | undefined,
): Promise<{ evidence?: Map<string, Evidence>; unknown?: string }> {
    if (!lookup) return { unknown: "evidence unknown: no cloud" };
    try {
        return { evidence: await gatherEvidence(imagesToCheck(stack, catalogue), lookup) };
    } catch (e) {
        const first = String((e as { stderr?: string }).stderr || (e as Error).message)
            .trim()
            .split("\n")[0];
        return { unknown: `evidence unknown: cannot read Glance (${first})` };
    }
}

async function main(stackName: string): Promise<number> {
    const input = readStackFile(path.join(__dirname, "..", ".."), stackName);
    // The same checks as the program's, in the same order: config, catalogue, kickstarts.
    const { catalogue, stack } = loadStack(input);
    const file = input.file;
    const lookup = cloudConfigured() ? cliLookup(stack.clouds.production) : undefined;
    const { evidence, unknown } = await readEvidence(stack, catalogue, lookup);
    const plan = planStack(stack, catalogue, evidence);
    console.log(
        `stack ${stackName} (${file}): ${Object.keys(stack.distros).length} distro(s), testing on ${stack.testing.backend}`,
    );
    if (unknown)
        console.log(
            `${unknown}: published stages assume passed evidence; \`pulumi preview\` checks it in Glance`,
        );
    for (const line of planLines(plan)) console.log(line);
    return plan.refusals.length > 0 ? 1 : 0;
}

if (require.main === module) {
    main(process.argv[2] ?? "lab").then(
        (code) => process.exit(code),
        (e: Error) => {
            console.error(e.message);
            process.exit(1);
        },
    );
}
