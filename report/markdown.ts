import { CellStatus, Report } from "./model";
import { STATUS_LABELS } from "./html";

/** A mark per status, so the merge request's table reads at a glance. */
const MARKS: { readonly [S in CellStatus]: string } = {
    passed: "✅",
    failed: "❌",
    "infra-retried": "🔁",
    "known-flaky": "⚠️",
    pending: "⏳",
    "not-run": "➖",
};

/** Table cells must not break the table: no pipes, no line breaks. */
const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\s*\n\s*/g, " ");

/** The report's summary for a merge request: the matrix, what is in production, the history folded. */
export function renderMarkdown(report: Report): string {
    const lines = [`### OS images: stack \`${report.stack}\``, ""];
    lines.push(
        `| Image | Release | Stage | ${report.useCases.join(" | ")} |`,
        `|---|---|---|${report.useCases.map(() => "---").join("|")}|`,
    );
    for (const r of report.rows) {
        const cells = r.cells.map((c) => {
            const details = [...c.failed, ...c.knownFlaky];
            const label = `${MARKS[c.status]} ${STATUS_LABELS[c.status].label}`;
            return cell(details.length > 0 ? `${label}: ${details.join(", ")}` : label);
        });
        lines.push(
            `| ${cell(`${r.distro} ${r.arch} ${r.bootMode}`)} | ${r.release} | ${r.stage} | ${cells.join(" | ")} |`,
        );
    }
    const production = report.rows.filter((r) => r.stage === "production");
    lines.push("", "**In production:**", "");
    if (production.length === 0) lines.push("- nothing yet");
    for (const r of production)
        lines.push(
            `- ${r.imageName}: ${r.evidence?.result ?? "unknown"}, tested ${r.evidence?.testedAt ?? "at an unknown time"}`,
        );
    lines.push(
        "",
        "<details><summary>History</summary>",
        "",
        "| Distro | Arch | Release | Stage | Result | Promoted | Retired |",
        "|---|---|---|---|---|---|---|",
        ...report.history.map(
            (h) =>
                `| ${h.distro} | ${h.arch} | ${h.release} | ${h.stage} | ${h.result ?? ""} | ${h.promotedAt ?? ""} | ${h.retiredAt ?? ""} |`,
        ),
        "",
        "</details>",
        "",
    );
    return lines.join("\n");
}
