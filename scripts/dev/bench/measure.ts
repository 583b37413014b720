// Measuring helpers shared by the benchmarks.
import { execFileSync } from "child_process";

/** Peak resident memory (MiB) of this process's descendants while `work` runs, by role. */
export async function peakMemory<T>(
    work: () => Promise<T>,
): Promise<{ result: T; program: number; engine: number }> {
    let program = 0;
    let engine = 0;
    const sample = () => {
        const ps = execFileSync("ps", ["-eo", "pid=,ppid=,rss=,comm="], { encoding: "utf8" });
        const rows = ps
            .trim()
            .split("\n")
            .map((l) => l.trim().split(/\s+/))
            .map(([pid, ppid, rss, comm]) => ({ pid: +pid, ppid: +ppid, rss: +rss, comm }));
        const mine = new Set([process.pid]);
        let grew = true;
        while (grew) {
            grew = false;
            for (const r of rows)
                if (!mine.has(r.pid) && mine.has(r.ppid)) {
                    mine.add(r.pid);
                    grew = true;
                }
        }
        const tree = rows.filter((r) => mine.has(r.pid) && r.pid !== process.pid);
        const mib = (rs: typeof rows) => rs.reduce((a, r) => a + r.rss, 0) / 1024;
        program = Math.max(program, mib(tree.filter((r) => r.comm === "node")));
        engine = Math.max(engine, mib(tree.filter((r) => r.comm !== "node")));
    };
    const timer = setInterval(sample, 100);
    try {
        const result = await work();
        return { result, program, engine };
    } finally {
        clearInterval(timer);
    }
}

export function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
}
