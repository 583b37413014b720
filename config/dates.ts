// Dates as written in a stack file: release ids and days.
import { z } from "zod";

/** A day as written: YYYY-MM-DD (whether it exists is checked apart). */
const DAY = String.raw`\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])`;

/** A monthly build id: the date of the build, optionally a respin suffix (`2026-11-01.1`). */
const RELEASE_ID = new RegExp(String.raw`^${DAY}(\.\d+)?$`);

/** Whether a build id's date exists (2026-02-30 does not). */
function isCalendarDate(id: string): boolean {
    const [y, m, d] = id.slice(0, 10).split("-").map(Number);
    const date = new Date(Date.UTC(y, m - 1, d));
    return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

/**
 * A date as written in the stack file. An unquoted `2026-11-01` reaches the program as a YAML
 * timestamp (`2026-11-01 00:00:00 +0000 UTC` from the CLI); take it back to the date written.
 */
function writtenDate(pattern: RegExp, message: string) {
    return z.preprocess(
        (v) =>
            typeof v === "string"
                ? v.replace(/^(\d{4}-\d\d-\d\d)(T00:00:00Z| 00:00:00 \+0000 UTC)$/, "$1")
                : v,
        z
            .string()
            .regex(pattern, message)
            .refine((id) => !pattern.test(id) || isCalendarDate(id), "no such day in the calendar"),
    );
}

/** A release id (a build date, optionally with a respin suffix). */
export const releaseId = (message: string) => writtenDate(RELEASE_ID, message);

/** A day, YYYY-MM-DD. */
export const calendarDay = (message: string) => writtenDate(new RegExp(`^${DAY}$`), message);

/** Today in UTC, YYYY-MM-DD. */
export function todayUtc(): string {
    return new Date().toISOString().slice(0, 10);
}
