// A stand-in for Keystone and Glance on 127.0.0.1, for the engine benchmark only: it issues a
// token whose catalogue names its own image endpoint, and answers every image listing with no
// image. That is all a preview of a stack with nothing promoted asks of the cloud (the evidence
// lookups), so the benchmark measures the engine and the program, not a cloud.
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { stringify } from "yaml";

export interface StandInCloud {
    /** clouds.yaml naming every cloud of the stack, for OS_CLIENT_CONFIG_FILE. */
    cloudsYaml: string;
    /** Requests answered, by method and path (no query). */
    requests: Map<string, number>;
    close(): Promise<void>;
}

function token(port: number, region: string): unknown {
    const endpoint = (iface: string) => ({
        id: `image-${iface}`,
        interface: iface,
        region,
        region_id: region,
        url: `http://127.0.0.1:${port}/image`,
    });
    return {
        token: {
            methods: ["password"],
            expires_at: "2099-01-01T00:00:00.000000Z",
            issued_at: new Date().toISOString().replace("Z", "000Z"),
            user: { id: "bench", name: "bench", domain: { id: "default", name: "Default" } },
            project: { id: "bench", name: "bench", domain: { id: "default", name: "Default" } },
            roles: [{ id: "admin", name: "admin" }],
            catalog: [
                {
                    id: "glance",
                    type: "image",
                    name: "glance",
                    endpoints: ["public", "internal", "admin"].map(endpoint),
                },
            ],
        },
    };
}

/** Starts the stand-in; `clouds` are the clouds.yaml entry names, all in `region`. */
export async function startStandInCloud(clouds: string[], region: string): Promise<StandInCloud> {
    const requests = new Map<string, number>();
    const server = http.createServer((req, res) => {
        const route = `${req.method} ${(req.url ?? "").split("?")[0]}`;
        requests.set(route, (requests.get(route) ?? 0) + 1);
        const port = (server.address() as { port: number }).port;
        res.setHeader("Content-Type", "application/json");
        if (req.method === "POST" && route.endsWith("/v3/auth/tokens")) {
            res.writeHead(201, { "X-Subject-Token": "bench-token" });
            res.end(JSON.stringify(token(port, region)));
        } else if (req.method === "GET" && /\/image\/v2\/images$/.test(route)) {
            res.end(JSON.stringify({ images: [] }));
        } else {
            res.writeHead(404);
            res.end(JSON.stringify({ error: `stand-in cloud: no ${route}` }));
        }
        req.resume();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "osip-cloud-"));
    const cloudsYaml = path.join(dir, "clouds.yaml");
    const auth = {
        auth_url: `http://127.0.0.1:${port}/v3`,
        username: "bench",
        password: "bench",
        project_name: "bench",
        user_domain_name: "Default",
        project_domain_name: "Default",
    };
    fs.writeFileSync(
        cloudsYaml,
        stringify({
            clouds: Object.fromEntries(clouds.map((c) => [c, { auth, region_name: region }])),
        }),
    );
    return {
        cloudsYaml,
        requests,
        close: () =>
            new Promise<void>((resolve) => {
                fs.rmSync(dir, { recursive: true, force: true });
                server.close(() => resolve());
            }),
    };
}
