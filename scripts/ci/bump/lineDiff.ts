// A unified diff of two small texts (stack files), for `--dry-run`: no dependency for 30 lines.

/** `diff -u`-style hunks between `before` and `after`, with one line of context. */
export function unifiedDiff(file: string, before: string, after: string): string {
    const a = before.split("\n");
    const b = after.split("\n");
    // Longest common subsequence table, from the end: lcs[i][j] for a[i..], b[j..].
    const lcs = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
    for (let i = a.length - 1; i >= 0; i--) {
        for (let j = b.length - 1; j >= 0; j--) {
            lcs[i][j] =
                a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
        }
    }
    const ops: { tag: " " | "-" | "+"; line: string; at: number }[] = [];
    let i = 0;
    let j = 0;
    while (i < a.length || j < b.length) {
        if (i < a.length && j < b.length && a[i] === b[j])
            ops.push({ tag: " ", line: a[i++], at: j++ });
        else if (j < b.length && (i >= a.length || lcs[i][j + 1] >= lcs[i + 1][j]))
            ops.push({ tag: "+", line: b[j], at: j++ });
        else ops.push({ tag: "-", line: a[i++], at: j });
    }
    const near = (k: number) => ops.slice(Math.max(0, k - 1), k + 2).some((o) => o.tag !== " ");
    const out = [`--- a/${file}`, `+++ b/${file}`];
    let inHunk = false;
    ops.forEach((op, k) => {
        if (!near(k)) {
            inHunk = false;
            return;
        }
        if (!inHunk) out.push(`@@ line ${op.at + 1} @@`);
        inHunk = true;
        out.push(`${op.tag}${op.line}`);
    });
    return out.join("\n");
}
