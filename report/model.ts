import { Arch, BootMode, USE_CASES, UseCase } from "../distros/schema";
import { Evidence } from "../model/evidence";
import { Stage } from "../model/lifecycle";
import { StackPlan } from "../model/plan";

/**
 * What one use case's run says about an image, as openQA tells them apart: the image failed a
 * test; the infrastructure failed first and a fresh machine was needed (the image passed); a known
 * flaky test failed and was tolerated; or nothing is known yet.
 */
export type CellStatus =
    "passed" | "failed" | "infra-retried" | "known-flaky" | "pending" | "not-run";

/** Files of one cell, relative to the report's folder. */
export interface CellFiles {
    junit?: string;
    log?: string;
    console?: string;
}

/** One image x use case. */
export interface Cell {
    useCase: UseCase;
    status: CellStatus;
    /** The runner's summary for this use case (`11 passed, 0 failed (...)`). */
    summary?: string;
    failed: string[];
    knownFlaky: string[];
    /** Fresh machines the infrastructure needed. */
    retries: number;
    files: CellFiles;
}

/** One image of a kept release: a row of the matrix. */
export interface MatrixRow {
    distro: string;
    displayName: string;
    arch: Arch;
    bootMode: BootMode;
    release: string;
    stage: Stage;
    imageName: string;
    key: string;
    /** Evidence as Glance holds it (undefined: not read). */
    evidence?: Evidence;
    cells: Cell[];
}

/** One release of a distro on one arch, past or present. */
export interface HistoryEntry {
    distro: string;
    arch: Arch;
    release: string;
    /** Build keys of its images (one per firmware); none once retired. */
    keys: string[];
    /** The kept release's stage, or `retired` (deleted from Glance). */
    stage: Stage | "retired";
    /** `passed` / `failed` / `pending` / `missing` over its images; undefined once retired. */
    result?: string;
    testedAt?: string;
    /** When the update that made it production finished (from the state's history). */
    promotedAt?: string;
    /** When the update that deleted its images finished (from the state's history). */
    retiredAt?: string;
}

export interface Report {
    stack: string;
    generatedAt: string;
    /** Columns of the matrix: the use cases any row was tested on, in the catalogue's order. */
    useCases: UseCase[];
    rows: MatrixRow[];
    history: HistoryEntry[];
}

/** `use case: item` lists of the evidence (`, ` or `; ` separated), grouped by use case. */
export function byUseCase(list: string | undefined): Map<string, string[]> {
    const out = new Map<string, string[]>();
    if (!list || list === "none") return out;
    // Split only before a use case's name: items (a flaky test's reason) may hold commas.
    const splitter = new RegExp(`(?:, |; )(?=(?:${USE_CASES.join("|")}): )`);
    for (const item of list.split(splitter)) {
        const m = /^([a-z-]+): (.*)$/s.exec(item.trim());
        if (!m) continue;
        out.set(m[1], [...(out.get(m[1]) ?? []), m[2]]);
    }
    return out;
}

/** A use case's cell from the image's evidence. */
export function cellOf(useCase: UseCase, evidence: Evidence | undefined, files: CellFiles): Cell {
    const of = (list: string | undefined) => byUseCase(list).get(useCase) ?? [];
    const failed = of(evidence?.failedTests);
    const knownFlaky = of(evidence?.knownFlaky);
    const retries = Number(of(evidence?.infraRetries)[0] ?? 0);
    const tested = (evidence?.useCases ?? "").split(",").includes(useCase);
    const status: CellStatus = !evidence?.imageFound
        ? "not-run"
        : failed.length > 0
          ? "failed"
          : evidence.result === "pending"
            ? "pending"
            : !tested || (evidence.result !== "passed" && evidence.result !== "failed")
              ? "not-run"
              : knownFlaky.length > 0
                ? "known-flaky"
                : retries > 0
                  ? "infra-retried"
                  : "passed";
    return {
        useCase,
        status,
        summary: of(evidence?.summary)[0],
        failed,
        knownFlaky,
        retries,
        files,
    };
}

/**
 * The matrix of a plan read with Glance's evidence: a row per image of every kept release, a
 * column per use case its evidence names (or the plan tests it on). `filesOf` says which of a
 * cell's files the report holds.
 */
export function matrixRows(
    plan: StackPlan,
    filesOf: (key: string, useCase: UseCase) => CellFiles,
): { useCases: UseCase[]; rows: MatrixRow[] } {
    const images = plan.pipelines.flatMap((p) =>
        p.releases.flatMap((r) => r.images.map((image) => ({ p, r, image }))),
    );
    const named = (image: (typeof images)[number]["image"]) =>
        new Set<string>([...image.useCases, ...(image.evidence?.useCases ?? "").split(",")]);
    const useCases = USE_CASES.filter((u) => images.some(({ image }) => named(image).has(u)));
    const rows = images.map(({ p, r, image }) => ({
        distro: p.distro,
        displayName: p.entry.displayName,
        arch: p.arch,
        bootMode: image.bootMode,
        release: r.release,
        stage: r.stage,
        imageName: image.name,
        key: image.key,
        evidence: image.evidence,
        cells: useCases.map((u) => cellOf(u, image.evidence, filesOf(image.key, u))),
    }));
    return { useCases, rows };
}
