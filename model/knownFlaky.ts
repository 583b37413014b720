// Known flaky tests (openQA's "softfailed"): they still run and are reported, a failure of one
// blocks no promotion, and an entry past its last day stops the stack until someone acts on it.
import type { KnownFlaky } from "../config";

/** `testing.knownFlaky.<i>: ...` for each entry whose last day is before today (YYYY-MM-DD). */
export function expiredFlaky(entries: KnownFlaky[], today: string): string[] {
    return entries.flatMap((e, i) =>
        e.expires < today
            ? [
                  `testing.knownFlaky.${i}: ${e.test} expired on ${e.expires} (${e.reason}): fix the test, or renew the entry with a later date`,
              ]
            : [],
    );
}

/** The entry that tolerates a failure of `test` on `useCase`, if any. */
export function toleratedBy(
    entries: KnownFlaky[],
    useCase: string,
    test: string,
): KnownFlaky | undefined {
    return entries.find(
        (e) =>
            e.test === test && (e.useCases === undefined || e.useCases.some((u) => u === useCase)),
    );
}
