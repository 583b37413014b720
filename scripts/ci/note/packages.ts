// The package changes a promotion brings, for the note: the manifest of the build going to
// production against the one it replaces (the image renamed away from the production name).
import { packageDiffOf, renderPackageDiff } from "../../../report/packageDiff";
import { Action, NoteModel } from "./changes";

type Renamed = Extract<Action, { kind: "promote" | "rename" }>;

/** One section per promoted distro and arch: the diff, or why it is not known. */
export function packageSections(
    model: NoteModel,
    workDir: string,
    env: NodeJS.ProcessEnv = process.env,
): { title: string; body: string }[] {
    return model.pipelines.flatMap((p) => {
        const renames = p.actions.filter(
            (a): a is Renamed => a.kind === "promote" || a.kind === "rename",
        );
        // One build per release: its first firmware's image stands for it.
        const promoted = renames.find((a) => a.kind === "promote");
        if (!promoted) return [];
        const replaced = renames.find((a) => a.kind === "rename" && a.from === promoted.to);
        const title = `Packages of ${p.distro} ${p.arch}: ${replaced?.release ?? "nothing"} → ${promoted.release}`;
        if (!replaced) {
            return [
                {
                    title,
                    body: "The first release in production: no earlier build to compare with.",
                },
            ];
        }
        const build = (a: Renamed) => ({
            distro: p.distro,
            arch: p.arch,
            release: a.release,
            ...a.build,
        });
        const diff = packageDiffOf(workDir, build(replaced), build(promoted), env);
        return [
            { title, body: diff.ok ? renderPackageDiff(diff.value) : `Not known: ${diff.reason}.` },
        ];
    });
}
