// The package managers' own version orderings, so "upgraded" means what dpkg and rpm mean by it:
// dpkg's per deb-version(5) / Debian Policy 5.6.12, rpm's per rpmvercmp (rpmio/rpmvercmp.c).
// No maintained npm library implements either (only tiny unmaintained ones).

/** -1, 0 or 1, like the package managers' own comparisons. */
export type Ordering = -1 | 0 | 1;

const sign = (n: number): Ordering => (n < 0 ? -1 : n > 0 ? 1 : 0);
const isDigit = (c: string): boolean => c >= "0" && c <= "9";
const isAlpha = (c: string): boolean => (c >= "a" && c <= "z") || (c >= "A" && c <= "Z");

/** dpkg's weight of a non-digit character: `~` before the end, the end before letters, letters before the rest. */
function dpkgOrder(c: string): number {
    if (c === "") return 0;
    if (isDigit(c)) return 0;
    if (isAlpha(c)) return c.charCodeAt(0);
    if (c === "~") return -1;
    return c.charCodeAt(0) + 256;
}

/** dpkg's verrevcmp: alternating non-digit and digit runs, for the upstream version or revision. */
function dpkgPartCompare(a: string, b: string): Ordering {
    let i = 0;
    let j = 0;
    const at = (s: string, k: number) => s[k] ?? "";
    while (i < a.length || j < b.length) {
        while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
            const diff = dpkgOrder(at(a, i)) - dpkgOrder(at(b, j));
            if (diff !== 0) return sign(diff);
            i++;
            j++;
        }
        while (at(a, i) === "0") i++;
        while (at(b, j) === "0") j++;
        let firstDiff = 0;
        while (isDigit(at(a, i)) && isDigit(at(b, j))) {
            if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
            i++;
            j++;
        }
        if (isDigit(at(a, i))) return 1;
        if (isDigit(at(b, j))) return -1;
        if (firstDiff !== 0) return sign(firstDiff);
    }
    return 0;
}

/** Compares two Debian versions as `dpkg --compare-versions` does. */
export function compareDebianVersions(a: string, b: string): Ordering {
    return compareEvr(a, b, dpkgPartCompare);
}

/** rpm's rpmvercmp on one version or release string, `~` (sorts first) and `^` (sorts after the base) included. */
export function rpmvercmp(a: string, b: string): Ordering {
    if (a === b) return 0;
    let one = a;
    let two = b;
    const separator = /^[^A-Za-z0-9~^]+/;
    while (one !== "" || two !== "") {
        one = one.replace(separator, "");
        two = two.replace(separator, "");
        if (one.startsWith("~") || two.startsWith("~")) {
            if (!one.startsWith("~")) return 1;
            if (!two.startsWith("~")) return -1;
            one = one.slice(1);
            two = two.slice(1);
            continue;
        }
        // Like `~`, except that the version that ended (the base version) sorts first.
        if (one.startsWith("^") || two.startsWith("^")) {
            if (one === "") return -1;
            if (two === "") return 1;
            if (!one.startsWith("^")) return 1;
            if (!two.startsWith("^")) return -1;
            one = one.slice(1);
            two = two.slice(1);
            continue;
        }
        if (one === "" || two === "") break;
        const numeric = isDigit(one[0]);
        const segment = numeric ? /^[0-9]*/ : /^[A-Za-z]*/;
        const seg1 = segment.exec(one)![0];
        const seg2 = segment.exec(two)![0];
        one = one.slice(seg1.length);
        two = two.slice(seg2.length);
        // A numeric segment is newer than an alphabetic one.
        if (seg2 === "") return numeric ? 1 : -1;
        if (numeric) {
            const n1 = seg1.replace(/^0+/, "");
            const n2 = seg2.replace(/^0+/, "");
            if (n1.length !== n2.length) return n1.length > n2.length ? 1 : -1;
            if (n1 !== n2) return n1 > n2 ? 1 : -1;
        } else if (seg1 !== seg2) {
            return seg1 > seg2 ? 1 : -1;
        }
    }
    // All segments equal: whichever still has characters left is newer.
    if (one === "" && two === "") return 0;
    return one === "" ? -1 : 1;
}

/**
 * `[epoch:]version[-release]`, split alike for dpkg (upstream-revision) and rpm (version-release):
 * the epoch before the first colon (0 without one), the release after the last hyphen.
 */
function splitEvr(evr: string): { epoch: number; version: string; release: string } {
    const colon = evr.indexOf(":");
    const epoch = colon >= 0 ? Number(evr.slice(0, colon)) : 0;
    const rest = evr.slice(colon + 1);
    const hyphen = rest.lastIndexOf("-");
    return hyphen >= 0
        ? { epoch, version: rest.slice(0, hyphen), release: rest.slice(hyphen + 1) }
        : { epoch, version: rest, release: "" };
}

/** Epoch, then version, then release, each part by the package manager's own comparison. */
function compareEvr(a: string, b: string, part: (x: string, y: string) => Ordering): Ordering {
    const x = splitEvr(a);
    const y = splitEvr(b);
    return sign(x.epoch - y.epoch) || part(x.version, y.version) || part(x.release, y.release);
}

/** Compares two `epoch:version-release` strings as rpm does (epoch, then version, then release). */
export function compareRpmVersions(a: string, b: string): Ordering {
    return compareEvr(a, b, rpmvercmp);
}
