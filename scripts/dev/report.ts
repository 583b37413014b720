// Writes the stack's test report: one static HTML page (index.html) and a Markdown summary for the
// merge request (summary.md), with the matrix distro x arch x firmware x use case, the evidence of
// what is in production and the history of each distro's releases. It reads the plan (the same
// planner as the program), the evidence in Glance (openstack CLI), the stack's update history
// (`pulumi stack history`, when the engine and backend are set) and the test results the runner
// kept, whose files (JUnit, runner log, console log) it copies beside the page.
// Usage: npm run report -- [stack] [--out DIR]   (default: lab, .lab/report/<stack>)
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { loadStack, readStackFile, workDirOf } from "../../config";
import { UseCase } from "../../distros/schema";
import { planStack } from "../../model/plan";
import { DistroSetting, historyEntries, UpdateRecord } from "../../report/history";
import { renderHtml } from "../../report/html";
import { renderMarkdown } from "../../report/markdown";
import { CellFiles, matrixRows, Report } from "../../report/model";
import { cliLookup, cloudConfigured, readEvidence } from "./plan";

const ROOT = path.join(__dirname, "..", "..");

/** The stack's finished updates and the `distros` config each ran with, oldest first. */
export function parseHistory(json: string): UpdateRecord[] {
    const updates = JSON.parse(json) as {
        endTime?: string;
        config?: Record<string, { value?: string }>;
    }[];
    return updates.flatMap((u) => {
        const distros = u.config?.["os-image-pipeline:distros"]?.value;
        if (!u.endTime || !distros) return [];
        return [
            {
                endTime: new Date(u.endTime).toISOString(),
                distros: JSON.parse(distros) as Record<string, DistroSetting>,
            },
        ];
    });
}

/** `pulumi stack history`, or nothing (and why) when the engine or the backend is not set up. */
function readHistory(stack: string): { updates: UpdateRecord[]; unknown?: string } {
    try {
        const json = execFileSync(
            "pulumi",
            ["stack", "history", "--json", "--stack", stack, "--non-interactive"],
            { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
        );
        return { updates: parseHistory(json) };
    } catch (e) {
        const why = String((e as { stderr?: string }).stderr || (e as Error).message).trim();
        return { updates: [], unknown: why.split("\n")[0] };
    }
}

/** Copies what the runner kept of one cell into the report; returns the copies' paths. */
function copyCellFiles(workDir: string, out: string, key: string, useCase: UseCase): CellFiles {
    const sources: [keyof CellFiles, string][] = [
        ["junit", path.join(workDir, "results", key, `${useCase}.junit.xml`)],
        ["log", path.join(workDir, "results", key, `${useCase}.log`)],
        ["console", path.join(workDir, "instances", `${key}-${useCase}`, "console.log")],
        ["console", path.join(workDir, "consoles", `${key}-${useCase}.log`)],
    ];
    const files: CellFiles = {};
    for (const [kind, source] of sources) {
        if (files[kind] || !fs.existsSync(source)) continue;
        const rel = path.join(
            "cells",
            key,
            `${useCase}.${kind === "junit" ? "junit.xml" : `${kind}.txt`}`,
        );
        fs.mkdirSync(path.join(out, "cells", key), { recursive: true });
        fs.copyFileSync(source, path.join(out, rel));
        files[kind] = rel;
    }
    return files;
}

async function main(argv: string[]): Promise<number> {
    const { values, positionals } = parseArgs({
        args: argv,
        options: { out: { type: "string" } },
        allowPositionals: true,
    });
    const stackName = positionals[0] ?? "lab";
    const { catalogue, stack } = loadStack(readStackFile(ROOT, stackName));
    const lookup = cloudConfigured() ? cliLookup(stack.clouds.production) : undefined;
    const { evidence, unknown } = await readEvidence(stack, catalogue, lookup);
    if (unknown) console.error(`report: ${unknown}: the matrix shows no results`);
    const plan = planStack(stack, catalogue, evidence);
    const history = readHistory(stackName);
    if (history.unknown) console.error(`report: no update history (${history.unknown})`);
    const out = path.resolve(values.out ?? path.join(ROOT, ".lab", "report", stackName));
    const workDir = path.resolve(ROOT, workDirOf(stack));
    // Written beside the old report, then swapped in: a failed run leaves the last one whole.
    const staging = `${out}.part`;
    fs.rmSync(staging, { recursive: true, force: true });
    fs.mkdirSync(staging, { recursive: true });
    const { useCases, rows } = matrixRows(plan, (key, u) =>
        copyCellFiles(workDir, staging, key, u),
    );
    const report: Report = {
        stack: stackName,
        generatedAt: new Date().toISOString(),
        useCases,
        rows,
        history: historyEntries(plan, history.updates),
    };
    fs.writeFileSync(path.join(staging, "index.html"), renderHtml(report));
    fs.writeFileSync(path.join(staging, "summary.md"), renderMarkdown(report));
    fs.rmSync(out, { recursive: true, force: true });
    fs.renameSync(staging, out);
    console.log(`report: ${path.relative(process.cwd(), out)}/index.html and summary.md`);
    return 0;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (e: Error) => {
            console.error(`report: ${e.message}`);
            process.exit(1);
        },
    );
}
