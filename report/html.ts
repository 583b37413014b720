import { Cell, CellStatus, HistoryEntry, MatrixRow, Report } from "./model";

/** What each status is called on the page, and what it means (the legend). */
export const STATUS_LABELS: { readonly [S in CellStatus]: { label: string; meaning: string } } = {
    passed: { label: "passed", meaning: "every test passed on the first machine" },
    failed: { label: "failed", meaning: "the image failed a test: it cannot be promoted" },
    "infra-retried": {
        label: "passed, machine retried",
        meaning: "the infrastructure failed first (no machine, no SSH); a fresh one passed",
    },
    "known-flaky": {
        label: "passed, known flaky",
        meaning: "a test listed in testing.knownFlaky failed and was tolerated until its expiry",
    },
    pending: { label: "pending", meaning: "tests started and have not finished" },
    "not-run": { label: "not run", meaning: "no result for this use case" },
};

const escape = (s: string) =>
    s.replace(
        /[&<>"']/g,
        (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
    );

const STYLE = `
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #1d1d1f; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
th, td { border: 1px solid #c8c8cc; padding: 0.35rem 0.6rem; text-align: left; vertical-align: top; }
thead th { background: #f0f0f3; }
td.cell { min-width: 11rem; } td:not(.cell) { white-space: nowrap; }
.passed { background: #e3f5e1; } .failed { background: #fbe0de; }
.infra-retried { background: #fff4d6; } .known-flaky { background: #f3e6fb; }
.pending { background: #e6eefb; } .not-run { background: #f5f5f5; color: #6e6e73; }
.status { font-weight: 600; display: block; } .summary { font-size: 0.85em; display: block; }
.files a { margin-right: 0.5rem; font-size: 0.85em; }
ul.tests { margin: 0.2rem 0 0; padding-left: 1.1rem; font-size: 0.85em; }
dl.legend { display: grid; grid-template-columns: max-content auto; gap: 0.2rem 0.8rem; }
dl.legend dt { padding: 0 0.4rem; }
`;

function cellHtml(cell: Cell): string {
    const files = (
        [
            ["junit", "JUnit"],
            ["log", "log"],
            ["console", "console"],
        ] as const
    )
        .filter(([k]) => cell.files[k])
        .map(([k, text]) => `<a href="${escape(cell.files[k]!)}">${text}</a>`)
        .join("");
    const list = (cls: string, items: string[]) =>
        items.length === 0
            ? ""
            : `<ul class="tests ${cls}">${items.map((t) => `<li>${escape(t)}</li>`).join("")}</ul>`;
    return [
        `<td class="cell ${cell.status}" data-use-case="${cell.useCase}" data-status="${cell.status}">`,
        `<span class="status">${STATUS_LABELS[cell.status].label}</span>`,
        cell.summary ? `<span class="summary">${escape(cell.summary)}</span>` : "",
        cell.retries > 0 ? `<span class="summary">machines retried: ${cell.retries}</span>` : "",
        list("failed-tests", cell.failed),
        list("flaky-tests", cell.knownFlaky),
        files ? `<span class="files">${files}</span>` : "",
        "</td>",
    ].join("");
}

function matrixHtml(report: Report): string {
    const head = ["Distro", "Arch", "Firmware", "Release", "Stage", ...report.useCases]
        .map((h) => `<th scope="col">${escape(h)}</th>`)
        .join("");
    const row = (r: MatrixRow) =>
        `<tr data-key="${escape(r.key)}"><th scope="row">${escape(r.displayName)}</th>` +
        [r.arch, r.bootMode, r.release, r.stage].map((v) => `<td>${escape(v)}</td>`).join("") +
        r.cells.map(cellHtml).join("") +
        "</tr>";
    return `<table class="matrix" aria-label="Test matrix"><thead><tr>${head}</tr></thead><tbody>${report.rows.map(row).join("")}</tbody></table>`;
}

function productionHtml(report: Report): string {
    const rows = report.rows.filter((r) => r.stage === "production");
    if (rows.length === 0) return "<p>Nothing is in production yet.</p>";
    const head = ["Image", "Release", "Result", "Tested at", "Use cases", "Suites", "JUnit sha256"];
    const body = rows
        .map((r) => {
            const e = r.evidence;
            return `<tr><th scope="row">${escape(r.imageName)}</th>${[
                r.release,
                e?.result ?? "unknown",
                e?.testedAt ?? "",
                e?.useCases ?? "",
                e?.suitesVersion ?? "",
                e?.junitSha256 ?? "",
            ]
                .map((v) => `<td>${escape(v)}</td>`)
                .join("")}</tr>`;
        })
        .join("");
    return `<table class="production" aria-label="Production evidence"><thead><tr>${head.map((h) => `<th scope="col">${h}</th>`).join("")}</tr></thead><tbody>${body}</tbody></table>`;
}

function historyHtml(entries: HistoryEntry[]): string {
    const head = [
        "Distro",
        "Arch",
        "Release",
        "Build keys",
        "Stage",
        "Result",
        "Tested",
        "Promoted",
        "Retired",
    ];
    const body = entries
        .map(
            (h) =>
                `<tr>${[
                    h.distro,
                    h.arch,
                    h.release,
                    h.keys.join(", "),
                    h.stage,
                    h.result ?? "",
                    h.testedAt ?? "",
                    h.promotedAt ?? "",
                    h.retiredAt ?? "",
                ]
                    .map((v) => `<td>${escape(v)}</td>`)
                    .join("")}</tr>`,
        )
        .join("");
    return `<table class="history" aria-label="Build history"><thead><tr>${head.map((h) => `<th scope="col">${h}</th>`).join("")}</tr></thead><tbody>${body}</tbody></table>`;
}

/** The report as one static page: no script, no outside resource. */
export function renderHtml(report: Report): string {
    const legend = Object.entries(STATUS_LABELS)
        .map(([s, l]) => `<dt class="${s}">${escape(l.label)}</dt><dd>${escape(l.meaning)}</dd>`)
        .join("");
    return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>OS images: stack ${escape(report.stack)}</title><style>${STYLE}</style></head>
<body>
<h1>OS images: stack ${escape(report.stack)}</h1>
<p>Written ${escape(report.generatedAt)} from Glance, the stack's state and the test results.</p>
<section aria-labelledby="matrix"><h2 id="matrix">Test matrix</h2>
${matrixHtml(report)}
<dl class="legend">${legend}</dl></section>
<section aria-labelledby="production"><h2 id="production">In production</h2>
${productionHtml(report)}</section>
<section aria-labelledby="history"><h2 id="history">History</h2>
${historyHtml(report.history)}</section>
</body>
</html>
`;
}
