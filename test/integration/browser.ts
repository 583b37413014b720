/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Runs in the page: the DOM's types for the functions handed to the browser.
import * as assert from "assert";
import * as fs from "fs";
import { Browser, chromium, Page } from "playwright-core";

/** Debian's chromium (scripts/ci/packages.sh ci), driven by playwright-core. */
export async function launchChromium(): Promise<Browser> {
    const executablePath = process.env.OSIP_CHROMIUM ?? "/usr/bin/chromium";
    assert.ok(
        fs.existsSync(executablePath),
        `${executablePath} is missing (scripts/ci/packages.sh ci)`,
    );
    // As root, chromium's sandbox cannot start; the page is our own static file.
    return chromium.launch({ executablePath, args: ["--no-sandbox"] });
}

/** One matrix cell as the browser lays it out. */
export interface CellBox {
    row: number;
    column: number;
    x: number;
    y: number;
    width: number;
    status: string;
    background: string;
}

/** The matrix's status cells with their boxes and computed colours. */
export async function matrixCells(page: Page): Promise<CellBox[]> {
    return page.$$eval("table.matrix tbody tr", (rows) =>
        rows.flatMap((tr, row) =>
            [...tr.querySelectorAll("td.cell")].map((td, column) => {
                const box = td.getBoundingClientRect();
                return {
                    row,
                    column,
                    x: Math.round(box.x),
                    y: Math.round(box.y),
                    width: Math.round(box.width),
                    status: (td as HTMLElement).dataset.status ?? "",
                    background: getComputedStyle(td).backgroundColor,
                };
            }),
        ),
    );
}

/**
 * The screenshot's structure rather than its pixels: a PNG as wide and tall as the page laid out,
 * cells on a grid (one top per row, one left edge per column), each status its own colour.
 */
export async function checkLayout(page: Page, screenshot: string): Promise<CellBox[]> {
    await page.screenshot({ path: screenshot, fullPage: true });
    const png = fs.readFileSync(screenshot);
    assert.strictEqual(png.subarray(1, 4).toString(), "PNG");
    const size = await page.evaluate(() => ({
        width: document.documentElement.scrollWidth,
        height: document.documentElement.scrollHeight,
    }));
    assert.deepStrictEqual(
        { width: png.readUInt32BE(16), height: png.readUInt32BE(20) },
        size,
        "the screenshot covers the whole page",
    );
    const cells = await matrixCells(page);
    for (const c of cells) {
        const sameRow = cells.filter((o) => o.row === c.row);
        const sameColumn = cells.filter((o) => o.column === c.column);
        assert.ok(
            sameRow.every((o) => o.y === c.y),
            `row ${c.row} is not on one line`,
        );
        assert.ok(
            sameColumn.every((o) => o.x === c.x),
            `column ${c.column} is not aligned`,
        );
        assert.ok(c.x + c.width <= size.width, `cell ${c.row}/${c.column} overflows the page`);
    }
    const colours = new Map<string, Set<string>>();
    for (const c of cells)
        colours.set(c.status, (colours.get(c.status) ?? new Set()).add(c.background));
    for (const [status, set] of colours) assert.strictEqual(set.size, 1, `${status}: one colour`);
    const distinct = new Set([...colours.values()].map((s) => [...s][0]));
    assert.strictEqual(distinct.size, colours.size, "each status has a colour of its own");
    return cells;
}

/** The roles of each row's children in an accessibility snapshot (`ariaSnapshot()`, parsed). */
export function rowShapes(tree: unknown): string[][] {
    const roleOf = (key: string) => key.split(" ")[0];
    const rows: string[][] = [];
    const walk = (node: unknown): void => {
        if (Array.isArray(node)) return node.forEach(walk);
        if (node === null || typeof node !== "object") return;
        for (const [key, children] of Object.entries(node)) {
            if (roleOf(key) === "row" && Array.isArray(children))
                rows.push(
                    children.map((c) =>
                        roleOf(typeof c === "string" ? c : Object.keys(c as object)[0]),
                    ),
                );
            else walk(children);
        }
    };
    walk(tree);
    return rows;
}
