// Typed linting for the TypeScript sources; the Pulumi plugin catches Output misuse.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import pulumi from "@pulumi/eslint-plugin";

export default tseslint.config(
    { ignores: ["node_modules/", "bin/", ".state/", ".lab/", ".toolchain/"] },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        files: ["**/*.ts"],
        languageOptions: {
            parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
        },
        plugins: { "@pulumi": pulumi },
        rules: {
            "@pulumi/no-output-in-template-literal": "error",
            "@pulumi/no-output-instance-in-template-literal": "error",
            "@typescript-eslint/no-floating-promises": "error",
            "@typescript-eslint/no-unused-vars": [
                "error",
                { ignoreRestSiblings: true, varsIgnorePattern: "^_" },
            ],
        },
    },
    {
        files: ["**/*.js", "**/*.mjs"],
        languageOptions: {
            globals: {
                require: "readonly",
                module: "writable",
                process: "readonly",
                console: "readonly",
            },
        },
        // CommonJS files (the mocha reporter) load with require().
        rules: { "@typescript-eslint/no-require-imports": "off" },
    },
);
