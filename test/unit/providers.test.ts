import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { registryAddress, registryAuthEntry, registryHost } from "../../components/providers";
import { unwrap } from "./harness";

describe("providers", () => {
    it("takes the registry host from a registry reference", () => {
        assert.strictEqual(registryHost("127.0.0.1:5001/osimages"), "127.0.0.1:5001");
        assert.strictEqual(registryHost("registry.example.org/linux"), "registry.example.org");
    });

    it("speaks plain HTTP to loopback registries only, as Docker does", () => {
        assert.strictEqual(registryAddress("127.0.0.1:5001/osimages"), "http://127.0.0.1:5001");
        assert.strictEqual(registryAddress("localhost:5000/x"), "http://localhost:5000");
        assert.strictEqual(registryAddress("registry.example.org/linux"), "registry.example.org");
        assert.strictEqual(registryAddress("10.0.0.1:5000/x"), "10.0.0.1:5000");
    });

    it("logs in with the stack's user:token for that registry, the token kept secret", async () => {
        const entry = registryAuthEntry(
            "registry.example.org/linux",
            "public",
            pulumi.output({ public: "ci-bot:s3cr:et" }),
        );
        assert.strictEqual(entry.address, "registry.example.org");
        assert.strictEqual(await unwrap(entry.username!), "ci-bot");
        assert.strictEqual(await unwrap(entry.password!), "s3cr:et");
        assert.strictEqual(await pulumi.isSecret(pulumi.output(entry.password!)), true);
        assert.strictEqual(await unwrap(entry.authDisabled!), false);
    });

    it("goes anonymous for a registry without credentials", async () => {
        assert.deepStrictEqual(
            registryAuthEntry("127.0.0.1:5001/osimages", "internal", undefined),
            {
                address: "http://127.0.0.1:5001",
                authDisabled: true,
            },
        );
        const other = registryAuthEntry(
            "registry.internal.example.org/linux/test",
            "internal",
            pulumi.output({ public: "ci-bot:token" }),
        );
        assert.strictEqual(await unwrap(other.authDisabled!), true);
    });
});
