import { Arch } from "../distros/schema";
import { keptReleases } from "../model/lifecycle";
import { StackPlan } from "../model/plan";
import { HistoryEntry } from "./model";

/** What one distro's stack config said at an update. */
export interface DistroSetting {
    releases: string[];
    keep?: number;
    promote?: string;
    arches?: Arch[];
}

/** One finished update of the stack, as its history (`pulumi stack history`) records it. */
export interface UpdateRecord {
    /** ISO time the update ended. */
    endTime: string;
    /** The stack's `distros` config at that update. */
    distros: Record<string, DistroSetting>;
}

/** When each `distro/release` became production and when its images were deleted. */
export function releaseEvents(
    updates: UpdateRecord[],
): Map<string, { promotedAt?: string; retiredAt?: string }> {
    const events = new Map<string, { promotedAt?: string; retiredAt?: string }>();
    const event = (distro: string, release: string) => {
        const id = `${distro}/${release}`;
        if (!events.has(id)) events.set(id, {});
        return events.get(id)!;
    };
    let before: Record<string, DistroSetting> = {};
    for (const u of [...updates].sort((a, b) => a.endTime.localeCompare(b.endTime))) {
        for (const [distro, now] of Object.entries(u.distros)) {
            const was = before[distro];
            const kept = keptReleases({ releases: now.releases, keep: now.keep ?? 3 });
            for (const release of kept) event(distro, release).retiredAt = undefined;
            if (was) {
                const keptBefore = keptReleases({ releases: was.releases, keep: was.keep ?? 3 });
                for (const release of keptBefore.filter((r) => !kept.includes(r)))
                    event(distro, release).retiredAt = u.endTime;
            }
            if (now.promote && now.promote !== was?.promote) {
                const e = event(distro, now.promote);
                e.promotedAt ??= u.endTime;
            }
        }
        before = u.distros;
    }
    return events;
}

/** The result of a release over its images' evidence: failed beats pending beats passed. */
function releaseResult(results: (string | undefined)[]): string | undefined {
    for (const r of ["failed", "malformed", "pending", "missing"])
        if (results.includes(r)) return r;
    return results.length > 0 && results.every((r) => r === "passed") ? "passed" : undefined;
}

/**
 * Per distro and arch, every release the state's history or the plan knows: the kept ones with
 * their stage and evidence, the deleted ones as retired; newest first.
 */
export function historyEntries(plan: StackPlan, updates: UpdateRecord[]): HistoryEntry[] {
    const events = releaseEvents(updates);
    const out: HistoryEntry[] = [];
    for (const p of plan.pipelines) {
        const known = new Set<string>([
            ...p.releases.map((r) => r.release),
            ...p.retired,
            ...updates.flatMap((u) => u.distros[p.distro]?.releases ?? []),
        ]);
        const rows = [...known].map((release): HistoryEntry => {
            const kept = p.releases.find((r) => r.release === release);
            const e = events.get(`${p.distro}/${release}`) ?? {};
            const tested = kept?.images.map((i) => i.evidence?.testedAt).filter(Boolean) ?? [];
            return {
                distro: p.distro,
                arch: p.arch,
                release,
                keys: kept?.images.map((i) => i.key) ?? [],
                stage: kept?.stage ?? "retired",
                result: kept && releaseResult(kept.images.map((i) => i.evidence?.result)),
                testedAt: tested.sort().pop(),
                promotedAt: e.promotedAt,
                retiredAt: kept ? undefined : e.retiredAt,
            };
        });
        out.push(...rows.sort((a, b) => b.release.localeCompare(a.release)));
    }
    return out;
}
